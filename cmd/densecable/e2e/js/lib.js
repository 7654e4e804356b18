'use strict'

// Shared plumbing for the end-to-end client scripts that the Go tests in
// cmd/densecable/e2e run. A script talks to its Go test over stdio:
//
//   stdout: one JSON object per line, {"event": "<name>", ...}; the last one
//           is {"event": "done", ...observations} on success or
//           {"event": "error", "message": ...} on failure (exit code 1).
//   stdin:  one word per line, sent by the Go test when a script waits for
//           it (e.g. "restarted" once the server is back).
//
// Every wait has a deadline and a description, so a failure says which step
// did not happen instead of hanging until the Go test's timeout.

const readline = require('readline')
const { isDeepStrictEqual } = require('util')

function emit (event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {})) + '\n')
}

function fail (err) {
  const message = err && err.stack ? err.stack : String(err)
  emit('error', { message })
  process.exit(1)
}

// run executes main and reports its outcome: done with main's result, or
// error. Unhandled rejections anywhere also fail the script.
function run (main) {
  process.on('unhandledRejection', fail)
  process.on('uncaughtException', fail)
  Promise.resolve()
    .then(main)
    .then((result) => {
      emit('done', result || {})
      process.exit(0)
    }, fail)
}

// within rejects with "<what>: timed out after <ms> ms" unless promise
// settles first.
function within (ms, what, promise) {
  let timer
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what + ': timed out after ' + ms + ' ms')), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Mailbox collects values pushed by callbacks and lets a script wait for the
// next one that matches a predicate. Values that arrived before the wait
// count, so nothing is missed between a trigger and its await.
class Mailbox {
  constructor (name) {
    this.name = name
    this.items = []
    this.waiters = []
  }

  push (item) {
    this.items.push(item)
    for (const w of this.waiters.slice()) {
      const i = this.items.findIndex(w.pred)
      if (i >= 0) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve(this.items.splice(i, 1)[0])
      }
    }
  }

  // take waits for (and removes) the first item matching pred.
  take (pred, ms, what) {
    const i = this.items.findIndex(pred)
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0])
    let waiter
    const p = new Promise((resolve) => {
      waiter = { pred, resolve }
      this.waiters.push(waiter)
    })
    return within(ms, this.name + ': ' + what, p).finally(() => {
      const j = this.waiters.indexOf(waiter)
      if (j >= 0) this.waiters.splice(j, 1)
    })
  }

  // count of unclaimed items matching pred.
  count (pred) {
    return this.items.filter(pred || (() => true)).length
  }
}

// stdinLines returns a function that waits up to ms for the stdin line
// expected.
function stdinLines () {
  const box = new Mailbox('stdin')
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', (line) => box.push(line.trim()))
  rl.on('close', () => box.push('<eof>'))
  return (expected, ms) => box.take((l) => l === expected || l === '<eof>', ms, 'waiting for "' + expected + '"')
    .then((l) => {
      if (l !== expected) throw new Error('stdin closed while waiting for "' + expected + '"')
      return l
    })
}

// broadcast POSTs one publication to an HTTP broadcast endpoint and checks
// the answer (201 when accepted).
async function broadcast (url, stream, data, key) {
  const headers = { 'Content-Type': 'application/json' }
  if (key) headers.Authorization = 'Bearer ' + key
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ stream, data: typeof data === 'string' ? data : JSON.stringify(data) })
  })
  if (res.status !== 201) throw new Error('broadcast to ' + stream + ': HTTP ' + res.status + ' ' + (await res.text()))
}

// parseArgs reads --name=value arguments into an object.
function parseArgs (argv) {
  const out = {}
  for (const a of argv) {
    const m = /^--([^=]+)=(.*)$/s.exec(a)
    if (!m) throw new Error('bad argument ' + a + ' (want --name=value)')
    out[m[1]] = m[2]
  }
  return out
}

function need (args, ...names) {
  for (const n of names) {
    if (args[n] === undefined) throw new Error('missing --' + n)
  }
  return args
}

// sameJSON compares decoded JSON values (object key order does not matter).
function sameJSON (a, b) {
  return isDeepStrictEqual(a, b)
}

// serveCommands is the agents' loop: one JSON command a line on stdin,
// {"seq": N, "op": name, ...}, run by ops[name] and answered with
// {"event": "r<N>", ...its result}, until {"op": "quit"} or the end of
// stdin.
async function serveCommands (ops) {
  const rl = readline.createInterface({ input: process.stdin })
  for await (const line of rl) {
    if (line.trim() === '') continue
    const cmd = JSON.parse(line)
    if (cmd.op === 'quit') break
    const op = ops[cmd.op]
    if (!op) throw new Error('unknown op ' + cmd.op)
    emit('r' + cmd.seq, await op(cmd))
  }
}

module.exports = { emit, fail, run, within, sleep, Mailbox, stdinLines, broadcast, parseArgs, need, sameJSON, serveCommands }
