// An agent driving any number of official @anycable/core cables (extended
// protocol, actioncable-v1-ext-json) for the multi-node tests: the Go test
// sends one JSON command per line on stdin, {"seq": N, "op": "...", ...},
// and the agent answers each with {"event": "r<N>", ...} once it is done.
// A command that fails prints {"event": "error"} and ends the agent.
//
//   node cable_agent.mjs
//
// Commands (cable and stream name the objects; every wait has a deadline):
//   connect    {cable, url, historyTimestamp?}  → {sid}
//   subscribe  {cable, stream}                  streamFrom, confirmed
//   sync       {cables, stream, url, ms?, retry?} publish {sync: i} on url until
//                                                every cable got one (retry: publish
//                                                errors too), then a marker that
//                                                every cable reads up to
//   take       {cable, stream, count, ms?}      the next count messages in arrival
//                                                order → {messages: [{message, meta}]}
//   takeUntil  {cable, stream, last, ms?}       messages up to one equal to last
//   pending    {cable, stream}                  → {count} of unread messages
//   join       {cable, stream, id, info}        channel.presence.join
//   leave      {cable, stream}                  channel.presence.leave
//   presenceEvent {cable, stream, type, id}     waits for a presence event
//   presenceInfo  {cable, stream}               channel.presence.info() → {state}
//   drop       {cable, to}                      kills the socket; the cable's next
//                                                reconnect waits for resume and goes
//                                                to `to` with ?sid=<last sid>
//   resume     {cable}                          lets it reconnect → {restored, url}
//   state      {cable}                          → {state, sid}
//   close      {cable}                          cable.disconnect()
//   quit       {}                               ends the agent (done)
//
// Reconnects are quick (100 ms) instead of @anycable/core's seconds-long
// backoff, so a test does not wait for them.

import WebSocket from 'ws'
import { createCable } from '@anycable/core'
import lib from './lib.js'

const { run, within, sleep, Mailbox, broadcast, sameJSON } = lib
const STEP_MS = 10000

const cables = new Map() // name → {cable, events, target, gate}
const channels = new Map() // cable/stream → {channel, messages, presence}

function deferred () {
  let resolve
  const promise = new Promise((r) => { resolve = r })
  return { promise, resolve }
}

function cableOf (name) {
  const c = cables.get(name)
  if (!c) throw new Error('no cable ' + name)
  return c
}

function channelOf (cable, stream) {
  const c = channels.get(cable + '/' + stream)
  if (!c) throw new Error('cable ' + cable + ' has no subscription to ' + stream)
  return c
}

// skipUntil drops a channel's messages up to and including the first one
// equal to want.
async function skipUntil (box, want, ms, what) {
  let skipped = 0
  for (;;) {
    const m = await box.take(() => true, ms, what)
    if (sameJSON(m.message, want)) return skipped
    skipped++
  }
}

const ops = {
  async connect ({ cable: name, url, historyTimestamp }) {
    if (cables.has(name)) throw new Error('cable ' + name + ' exists')
    const state = { events: new Mailbox(name + ' connection events'), target: null, gate: null }
    const opts = {
      protocol: 'actioncable-v1-ext-json',
      websocketImplementation: WebSocket,
      logLevel: 'error',
      reconnectStrategy: () => 100,
      // Runs before every (re)connect: after a drop, wait for resume and
      // switch to the target node, keeping the session id to restore.
      transportConfigurator: async (transport, { initial }) => {
        if (initial || !state.gate) return
        await state.gate.promise
        if (state.target) {
          transport.setURL(state.target)
          transport.setParam('sid', state.cable.sessionId)
        }
      }
    }
    if (historyTimestamp !== undefined) opts.historyTimestamp = historyTimestamp
    state.cable = createCable(url, opts)
    state.cable.on('connect', (ev) => state.events.push(Object.assign({ type: 'connect' }, ev)))
    state.cable.on('disconnect', (ev) => state.events.push({ type: 'disconnect', reason: ev && ev.reason }))
    cables.set(name, state)
    await within(STEP_MS, name + ' connects to ' + url, state.cable.connect())
    return { sid: state.cable.sessionId }
  },

  async subscribe ({ cable, stream }) {
    const channel = cableOf(cable).cable.streamFrom(stream)
    const messages = new Mailbox(cable + ' messages on ' + stream)
    const presence = new Mailbox(cable + ' presence events on ' + stream)
    channel.on('message', (message, meta) => messages.push({ message, meta: meta || null }))
    channel.on('presence', (ev) => presence.push(ev))
    channels.set(cable + '/' + stream, { channel, messages, presence })
    await within(STEP_MS, cable + ' subscribes to ' + stream, channel.ensureSubscribed())
    return {}
  },

  async sync ({ cables: names, stream, url, ms, retry }) {
    const boxes = names.map((n) => channelOf(n, stream).messages)
    const hasSync = (m) => m.message && m.message.sync !== undefined
    ms = ms || STEP_MS
    const deadline = Date.now() + ms
    let rounds = 0
    let lastError = null
    while (!boxes.every((b) => b.count(hasSync) > 0)) {
      if (Date.now() > deadline) {
        throw new Error('sync: not every cable received a broadcast within ' + ms + ' ms' +
          (lastError ? ' (last publish error: ' + lastError + ')' : ''))
      }
      try {
        await broadcast(url, stream, { sync: ++rounds })
      } catch (err) {
        if (!retry) throw err
        lastError = err.message
      }
      await sleep(150)
    }
    const marker = { synced: true }
    for (let attempt = 1; ; attempt++) {
      try {
        await broadcast(url, stream, marker)
        break
      } catch (err) {
        // Right after a Redis restart the broker may refuse one publication
        // (a stale connection): with retry on, try the marker again too.
        if (!retry || attempt >= 20) throw err
        await sleep(150)
      }
    }
    for (let i = 0; i < boxes.length; i++) {
      await skipUntil(boxes[i], marker, ms, 'sync marker at ' + names[i])
    }
    return { rounds }
  },

  async take ({ cable, stream, count, ms }) {
    const box = channelOf(cable, stream).messages
    const messages = []
    for (let i = 0; i < count; i++) {
      messages.push(await box.take(() => true, ms || STEP_MS, 'message ' + (i + 1) + ' of ' + count))
    }
    return { messages }
  },

  async takeUntil ({ cable, stream, last, ms }) {
    const box = channelOf(cable, stream).messages
    const messages = []
    for (;;) {
      const m = await box.take(() => true, ms || STEP_MS, 'messages up to ' + JSON.stringify(last) +
        ' (got ' + JSON.stringify(messages.map((x) => x.message)) + ')')
      messages.push(m)
      if (sameJSON(m.message, last)) return { messages }
    }
  },

  async pending ({ cable, stream }) {
    return { count: channelOf(cable, stream).messages.count() }
  },

  async join ({ cable, stream, id, info }) {
    await within(STEP_MS, cable + ' joins presence', channelOf(cable, stream).channel.presence.join(id, info))
    return {}
  },

  async leave ({ cable, stream }) {
    await within(STEP_MS, cable + ' leaves presence', channelOf(cable, stream).channel.presence.leave())
    return {}
  },

  async presenceEvent ({ cable, stream, type, id }) {
    const ev = await channelOf(cable, stream).presence.take((e) => e.type === type && e.id === id, STEP_MS,
      'presence ' + type + ' of ' + id)
    return { presence: ev }
  },

  async presenceInfo ({ cable, stream }) {
    const state = await within(STEP_MS, cable + ' presence info', channelOf(cable, stream).channel.presence.info())
    return { state }
  },

  async drop ({ cable, to }) {
    const state = cableOf(cable)
    state.gate = deferred()
    state.target = to
    state.events = new Mailbox(cable + ' connection events') // forget the first connect
    const disconnected = state.events.take((e) => e.type === 'disconnect', STEP_MS, cable + ' notices the drop')
    state.cable.transport.ws.terminate()
    await disconnected
    return {}
  },

  async resume ({ cable }) {
    const state = cableOf(cable)
    const connected = state.events.take((e) => e.type === 'connect', STEP_MS, cable + ' reconnects')
    state.gate.resolve()
    const ev = await connected
    state.gate = null
    return { restored: !!ev.restored, reconnect: !!ev.reconnect, url: state.cable.transport.url, sid: state.cable.sessionId }
  },

  async state ({ cable }) {
    const c = cableOf(cable).cable
    return { state: c.state, sid: c.sessionId }
  },

  async close ({ cable }) {
    cableOf(cable).cable.disconnect()
    return {}
  }
}

async function main () {
  await lib.serveCommands(ops)
  for (const { cable } of cables.values()) cable.disconnect()
  return {}
}

run(main)
