console.log('band-desktop');
