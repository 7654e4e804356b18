// Scenario: an @anycable/core client against densecable using the
// serverless_app.mjs HTTP RPC application (see there for its channel).
//
//   node serverless_client.mjs --url=ws://127.0.0.1:P/cable
//
// Steps: a connection without ?user= is refused; alice connects, subscribes
// to chat (and a subscription without a room is rejected), performs echo
// twice around an action whose RPC call fails with HTTP 500 (the connection
// must survive it), and receives the application's broadcast.

import WebSocket from 'ws'
import { createCable, SubscriptionRejectedError } from '@anycable/core'
import lib from './lib.js'

const { run, within, Mailbox, parseArgs, need, sameJSON } = lib
const STEP_MS = 5000

const cableFor = (url) => createCable(url, { websocketImplementation: WebSocket, logLevel: 'error' })
const is = (want) => (msg) => sameJSON(msg, want)

async function main () {
  const args = need(parseArgs(process.argv.slice(2)), 'url')

  const anonymous = cableFor(args.url)
  let refused = 'connected'
  try {
    await within(STEP_MS, 'connection without user answered', anonymous.connect())
  } catch (err) {
    refused = err.reason || String(err)
  }
  anonymous.disconnect()

  const cable = cableFor(args.url + '?user=alice')
  const disconnects = new Mailbox('alice disconnects')
  cable.on('disconnect', (ev) => disconnects.push(ev))
  cable.on('close', (ev) => disconnects.push(ev || 'closed'))
  await within(STEP_MS, 'alice connects', cable.connect())

  const chat = cable.subscribeTo('chat', { room: 'lobby' })
  const box = new Mailbox('chat messages')
  chat.on('message', (msg) => box.push(msg))
  await within(STEP_MS, 'chat subscription confirmed', chat.ensureSubscribed())

  const roomless = cable.subscribeTo('chat', { topic: 'none' })
  let rejected = 'confirmed'
  try {
    await within(STEP_MS, 'room-less subscription answered', roomless.ensureSubscribed())
  } catch (err) {
    rejected = err instanceof SubscriptionRejectedError ? 'rejected' : 'error: ' + err
  }

  await chat.perform('echo', { text: 'before' })
  const first = await box.take((m) => m.text === 'before', STEP_MS, 'echo before the failing action')
  await chat.perform('explode', {})
  await chat.perform('echo', { text: 'after' })
  const second = await box.take((m) => m.text === 'after', STEP_MS, 'echo after the failing action')
  if (cable.state !== 'connected' || disconnects.count() !== 0) {
    throw new Error('the failing action disturbed the connection: state ' + cable.state + ', ' + JSON.stringify(disconnects.items))
  }

  await chat.perform('speak', { text: 'hello' })
  const spoken = await box.take(is({ user: 'alice', text: 'hello' }), STEP_MS, 'application broadcast')

  cable.disconnect()
  return { refused, rejected, first, second, spoken }
}

run(main)
