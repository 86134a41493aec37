#!/usr/bin/env node
'use strict';
// A reader that stops early (`rnn-studio summary BIG | head`) closes the pipe: end quietly, as
// other command-line tools do, instead of an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
require('../dist/cli.js')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      // Users get the message; RNN_STUDIO_DEBUG=1 shows where it came from.
      process.stderr.write(`rnn-studio: ${process.env.RNN_STUDIO_DEBUG ? (e && e.stack) || e : (e && e.message) || e}\n`);
      process.exitCode = 1;
    },
  );
