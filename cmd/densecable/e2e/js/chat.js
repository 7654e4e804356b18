#!/usr/bin/env node
'use strict'

// A tiny terminal chat on the official @rails/actioncable client, for
// trying densecable by hand with `make run` (the demo app broadcasts every
// action of a ChatChannel subscription to "ChatChannel:<room>"):
//
//   cd cmd/densecable/e2e/js && npm ci && cd -
//   node cmd/densecable/e2e/js/chat.js alice          # in one terminal
//   node cmd/densecable/e2e/js/chat.js bob            # in another
//
// Usage: chat.js <name> [room]; CABLE_URL overrides ws://localhost:8080/cable.
// Each line you type is performed as {"action":"speak","text":<line>,"name":<name>};
// Ctrl-D quits.

const readline = require('readline')
const { loadActionCable } = require('./node_actioncable')

const name = process.argv[2]
const room = process.argv[3] || 'lobby'
const url = process.env.CABLE_URL || 'ws://localhost:8080/cable'
if (!name) {
  console.error('usage: node chat.js <name> [room]   (CABLE_URL=' + url + ')')
  process.exit(2)
}

const ActionCable = loadActionCable()
const consumer = ActionCable.createConsumer(url)
const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY)
const rl = readline.createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, prompt: '> ' })
const prompt = (keep) => { if (tty) rl.prompt(keep) }

// say prints a line without mangling what the user is typing.
function say (text) {
  if (tty) {
    readline.clearLine(process.stdout, 0)
    readline.cursorTo(process.stdout, 0)
  }
  console.log(text)
  prompt(true)
}

const chat = consumer.subscriptions.create({ channel: 'ChatChannel', room }, {
  connected: () => say('* connected to ' + url + ', room ' + room),
  disconnected: ({ willAttemptReconnect } = {}) => say('* disconnected' + (willAttemptReconnect ? ', reconnecting…' : '')),
  rejected: () => say('* the server rejected the subscription'),
  received: (msg) => {
    if (msg && typeof msg.text === 'string') say((msg.name || '?') + ': ' + msg.text)
    else say('* ' + JSON.stringify(msg))
  }
})

rl.on('line', (line) => {
  const text = line.trim()
  if (text && !chat.perform('speak', { text, name })) say('* not connected, message dropped')
  prompt()
})
rl.on('close', () => {
  consumer.disconnect()
  process.exit(0)
})
prompt()
