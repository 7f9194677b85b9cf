// Preloaded by count-promises.mjs (`node --import`): counts every promise the process creates and prints the count
// on stderr at SIGUSR2.
import { createHook } from 'node:async_hooks';

let promises = 0;
createHook({
  init(_id, type) {
    if (type === 'PROMISE') promises++;
  },
}).enable();
process.on('SIGUSR2', () => process.stderr.write(`promises ${promises}\n`));
