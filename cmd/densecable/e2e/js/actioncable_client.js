'use strict'

// Scenario: the official @rails/actioncable client against densecable and
// the bench RPC app (any channel other than BenchmarkChannel streams from
// "<channel>:<room>" or its "stream" param; "echo" is transmitted back,
// other actions are broadcast to the stream).
//
//   node actioncable_client.js --url=ws://127.0.0.1:P/cable \
//     --broadcast=http://127.0.0.1:B/_broadcast --room=e2e
//
// Steps: connect; subscribe twice to the same stream (A by room, B by
// stream name); perform echo; receive an HTTP broadcast and an app
// broadcast; unsubscribe A (no more deliveries to A); then emit "restart"
// and wait for "restarted" on stdin while the Go test restarts the server:
// the client must get disconnect/server_restart, reconnect by itself, get B
// confirmed again and receive a new broadcast.

const WebSocket = require('ws')
const { loadActionCable } = require('./node_actioncable')
const { emit, run, sleep, Mailbox, stdinLines, broadcast, parseArgs, need, sameJSON } = require('./lib')

const STEP_MS = 5000
const RECONNECT_MS = 20000

// SpyWebSocket is the ws client plus a record of every frame and close the
// server sent, so the script can check the exact disconnect message.
const frames = new Mailbox('server frames')
const closes = new Mailbox('socket closes')
class SpyWebSocket extends WebSocket {
  constructor (...args) {
    super(...args)
    this.on('message', (data, isBinary) => {
      frames.push(isBinary ? { binary: true } : JSON.parse(data.toString()))
    })
    this.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }))
    this.on('error', () => {}) // refused reconnects while the server is down
  }
}

function subscribe (consumer, params, name) {
  const box = {
    name,
    connected: new Mailbox(name + ' connected'),
    received: new Mailbox(name + ' received'),
    disconnected: new Mailbox(name + ' disconnected'),
    rejected: new Mailbox(name + ' rejected')
  }
  box.sub = consumer.subscriptions.create(params, {
    connected: (info) => box.connected.push(info || {}),
    received: (msg) => box.received.push(msg),
    disconnected: (info) => box.disconnected.push(info || {}),
    rejected: () => box.rejected.push(true)
  })
  return box
}

const is = (want) => (msg) => sameJSON(msg, want)

async function main () {
  const args = need(parseArgs(process.argv.slice(2)), 'url', 'broadcast', 'room')
  const stream = 'ChatChannel:' + args.room
  const nextLine = stdinLines()
  const ActionCable = loadActionCable({ WebSocket: SpyWebSocket, staleThreshold: 2 })
  const consumer = ActionCable.createConsumer(args.url)

  const a = subscribe(consumer, { channel: 'ChatChannel', room: args.room }, 'A')
  const b = subscribe(consumer, { channel: 'ChatChannel', stream }, 'B')
  const welcome = await frames.take((f) => f.type === 'welcome', STEP_MS, 'welcome')
  await a.connected.take(() => true, STEP_MS, 'subscription confirmed')
  await b.connected.take(() => true, STEP_MS, 'subscription confirmed')
  emit('subscribed', { protocol: consumer.connection.getProtocol() })

  a.sub.perform('echo', { text: 'ping-1' })
  const echo = await a.received.take(is({ text: 'ping-1', action: 'echo' }), STEP_MS, 'echo of ping-1')

  await broadcast(args.broadcast, stream, { text: 'http-1' })
  await a.received.take(is({ text: 'http-1' }), STEP_MS, 'HTTP broadcast http-1')
  await b.received.take(is({ text: 'http-1' }), STEP_MS, 'HTTP broadcast http-1')

  a.sub.perform('speak', { text: 'app-1' })
  await a.received.take(is({ text: 'app-1', action: 'speak' }), STEP_MS, 'app broadcast app-1')
  await b.received.take(is({ text: 'app-1', action: 'speak' }), STEP_MS, 'app broadcast app-1')

  // Unsubscribe A. Commands of one connection are handled in order, so once
  // B's echo is back the unsubscribe has been applied.
  a.sub.unsubscribe()
  b.sub.perform('echo', { text: 'sync-1' })
  await b.received.take(is({ text: 'sync-1', action: 'echo' }), STEP_MS, 'echo of sync-1 after unsubscribing A')
  await broadcast(args.broadcast, stream, { text: 'http-2' })
  await b.received.take(is({ text: 'http-2' }), STEP_MS, 'HTTP broadcast http-2')
  await sleep(300) // A would have got http-2 together with B
  const afterUnsubscribe = a.received.count()
  if (afterUnsubscribe !== 0) {
    throw new Error('A received ' + afterUnsubscribe + ' message(s) after unsubscribing: ' + JSON.stringify(a.received.items))
  }

  // Server restart: the Go test sends SIGTERM and starts a new server.
  emit('restart')
  const disconnect = await frames.take((f) => f.type === 'disconnect', RECONNECT_MS, 'disconnect message on shutdown')
  const close = await closes.take(() => true, STEP_MS, 'socket closed on shutdown')
  const lost = await b.disconnected.take(() => true, STEP_MS, 'B disconnected callback')
  await nextLine('restarted', RECONNECT_MS)
  const again = await b.connected.take(() => true, RECONNECT_MS, 'B confirmed again after reconnect')
  await broadcast(args.broadcast, stream, { text: 'http-3' })
  await b.received.take(is({ text: 'http-3' }), STEP_MS, 'HTTP broadcast http-3 after reconnect')
  if (a.connected.count() !== 0 || a.received.count() !== 0) {
    throw new Error('A came back after reconnecting although it was unsubscribed')
  }
  consumer.disconnect()

  return {
    welcome,
    echo,
    disconnect,
    close,
    willAttemptReconnect: lost.willAttemptReconnect,
    reconnected: again.reconnected
  }
}

run(main)
