#!/usr/bin/env node
// A committed shim: npm links workspace bins only when the target exists at install time,
// and dist/ does not exist until the first build.
try {
  await import('../dist/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write(
      'error: band is not built yet\n' +
        'hint: run `npm run build` in the Band checkout (or `npm start`, which builds what is missing)\n',
    );
    process.exit(1);
  }
  throw error;
}
