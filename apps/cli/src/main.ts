// band: placeholder until the CLI lands.
console.log('band');
