// Pusher clients against densecable's /app/KEY: pusher-js, Laravel Echo
// (broadcaster 'pusher', channels authorized by an authorizer that signs
// like a Laravel backend's /broadcasting/auth) and raw WebSockets for bad
// input. Scenarios: --scenario=single (one node) or cluster (two nodes).
import { createRequire } from 'node:module'
import crypto from 'node:crypto'
import Pusher from 'pusher-js'
import Echo from 'laravel-echo'
import WebSocket from 'ws'

const require = createRequire(import.meta.url)
const { run, within, Mailbox, broadcast, parseArgs, need } = require('./lib.js')

const args = need(parseArgs(process.argv.slice(2)), 'scenario', 'key', 'secret', 'suffix')
const T = 15000

const sign = (secret, s) => args.key + ':' + crypto.createHmac('sha256', secret).update(s).digest('hex')

// channelAuth is what a backend's auth endpoint answers for a user.
function channelAuth (secret, user, socketId, channel) {
  if (channel.startsWith('presence-')) {
    const channelData = JSON.stringify({ user_id: user.id, user_info: { name: user.name } })
    return { auth: sign(secret, `${socketId}:${channel}:${channelData}`), channel_data: channelData }
  }
  return { auth: sign(secret, `${socketId}:${channel}`) }
}

const baseOptions = (port) => ({
  wsHost: '127.0.0.1', wsPort: port, forceTLS: false, enabledTransports: ['ws'], disableStats: true, cluster: 'mt1'
})

function pusherClient (port, user, secret = args.secret) {
  return new Pusher(args.key, {
    ...baseOptions(port),
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, cb) => cb(null, channelAuth(secret, user, socketId, channelName))
    }
  })
}

function echoClient (port, user, secret = args.secret) {
  return new Echo({
    broadcaster: 'pusher',
    key: args.key,
    Pusher,
    ...baseOptions(port),
    authorizer: (channel) => ({
      authorize: (socketId, cb) => cb(null, channelAuth(secret, user, socketId, channel.name))
    })
  })
}

function connected (p, what) {
  return within(T, what + ' connected', new Promise((resolve) => {
    if (p.connection.state === 'connected') return resolve(p.connection.socket_id)
    p.connection.bind('connected', () => resolve(p.connection.socket_id))
  }))
}

function subscribed (channel, what) {
  return within(T, what + ' subscribed', new Promise((resolve, reject) => {
    channel.bind('pusher:subscription_succeeded', resolve)
    channel.bind('pusher:subscription_error', (e) => reject(new Error(what + ': ' + JSON.stringify(e))))
  }))
}

// echoSubscribed waits for an Echo channel's subscription.
const echoSubscribed = (ch, what) => within(T, what + ' subscribed', new Promise((resolve, reject) => {
  ch.subscribed(resolve)
  ch.error((e) => reject(new Error(what + ': ' + JSON.stringify(e))))
}))

// raw is a plain WebSocket to path with a mailbox of parsed messages and
// the close code.
function raw (port, path) {
  const box = new Mailbox('raw ' + path)
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`)
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)))
  ws.on('message', (m) => box.push(JSON.parse(m.toString())))
  const open = within(T, 'open ' + path, new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject) }))
  return { ws, box, closed, open, send: (o) => ws.send(typeof o === 'string' ? o : JSON.stringify(o)) }
}

const isEvent = (name) => (m) => m.event === name

async function single () {
  need(args, 'port', 'broadcast')
  const port = Number(args.port)
  const sfx = args.suffix
  const out = {}

  // Public channel, events by HTTP broadcast in the contract shape.
  const a = pusherClient(port, { id: 'a', name: 'A' })
  out.socketId = await connected(a, 'pusher-js')
  const news = a.subscribe('news-' + sfx)
  await subscribed(news, 'public channel')
  const newsBox = new Mailbox('news')
  news.bind('headline', (d) => newsBox.push(d))
  await broadcast(args.broadcast, 'news-' + sfx, { event: 'headline', data: JSON.stringify({ title: 'hi' }) })
  out.publicEvent = await newsBox.take(() => true, T, 'headline')

  // Private channel through Laravel Echo, whispers between two users.
  const ann = echoClient(port, { id: 1, name: 'Ann' })
  const bob = echoClient(port, { id: 2, name: 'Bob' })
  const annBox = new Mailbox('ann')
  const bobBox = new Mailbox('bob')
  const annOrders = ann.private('orders-' + sfx)
    .listen('.order-shipped', (e) => annBox.push({ shipped: e }))
    .listenForWhisper('typing', (e) => annBox.push({ typing: e }))
  const bobOrders = bob.private('orders-' + sfx)
    .listen('.order-shipped', (e) => bobBox.push({ shipped: e }))
    .listenForWhisper('typing', (e) => bobBox.push({ typing: e }))
  await Promise.all([echoSubscribed(annOrders, 'ann private'), echoSubscribed(bobOrders, 'bob private')])
  await broadcast(args.broadcast, 'private-orders-' + sfx, { event: 'order-shipped', data: JSON.stringify({ id: 42 }) })
  out.annShipped = (await annBox.take((m) => m.shipped, T, 'order-shipped')).shipped
  out.bobShipped = (await bobBox.take((m) => m.shipped, T, 'order-shipped')).shipped
  bobOrders.whisper('typing', { name: 'Bob' })
  out.annWhisper = (await annBox.take((m) => m.typing, T, 'whisper from bob')).typing
  annOrders.whisper('typing', { name: 'Ann' })
  out.bobWhisper = (await bobBox.take((m) => m.typing, T, 'whisper from ann')).typing
  out.bobOwnWhispers = bobBox.count((m) => m.typing && m.typing.name === 'Bob')

  // Presence through Echo: here, joining once per user, leaving.
  const joined = new Mailbox('joining')
  const left = new Mailbox('leaving')
  const annRoom = ann.join('room-' + sfx)
  const annHere = within(T, 'ann here', new Promise((resolve) => annRoom.here(resolve)))
  annRoom.joining((u) => joined.push(u)).leaving((u) => left.push(u))
    .listenForWhisper('wave', (e) => annBox.push({ wave: e }))
  out.annHere = await annHere
  const bobRoom = bob.join('room-' + sfx)
  out.bobHere = await within(T, 'bob here', new Promise((resolve) => bobRoom.here(resolve)))
  out.joined = await joined.take(() => true, T, 'bob joining')
  // Bob's second socket is the same member: no second joining.
  const bob2 = pusherClient(port, { id: 2, name: 'Bob' })
  const bob2Room = bob2.subscribe('presence-room-' + sfx)
  await subscribed(bob2Room, 'bob second socket')
  bob2Room.trigger('client-wave', { from: 'bob2' })
  out.wave = (await annBox.take((m) => m.wave, T, 'wave from bob2')).wave
  bob2.disconnect()
  bob.leave('room-' + sfx)
  out.left = await left.take(() => true, T, 'bob leaving')
  out.joinedCount = 1 + joined.count()
  out.leftCount = 1 + left.count()

  // A forged signature is refused (Echo's error callback, pusher-js's event).
  const mallory = echoClient(port, { id: 9, name: 'M' }, 'not-the-secret')
  const forged = mallory.private('orders-' + sfx)
  out.forged = await within(T, 'forged auth refusal', new Promise((resolve) => forged.error(resolve)))

  // A client event on a public channel is refused with pusher:error.
  const errs = new Mailbox('errors')
  a.connection.bind('error', (e) => errs.push(e))
  news.trigger('client-nope', {})
  out.publicClientEvent = (await errs.take(() => true, T, 'pusher:error')).data

  // Bad input over raw sockets.
  const wrong = raw(port, '/app/wrong-key?protocol=7&client=js')
  out.wrongKey = { error: (await wrong.box.take(isEvent('pusher:error'), T, 'error')).data, close: await within(T, 'close', wrong.closed) }
  const old = raw(port, `/app/${args.key}?protocol=3`)
  out.oldProtocol = { error: (await old.box.take(isEvent('pusher:error'), T, 'error')).data, close: await within(T, 'close', old.closed) }
  const bad = raw(port, `/app/${args.key}?protocol=7`)
  await bad.open
  await bad.box.take(isEvent('pusher:connection_established'), T, 'established')
  bad.send('{"event":"pusher:ping",')
  out.malformed = (await bad.box.take(isEvent('pusher:error'), T, 'malformed error')).data
  bad.send({ event: 'pusher:ping', data: {} })
  await bad.box.take(isEvent('pusher:pong'), T, 'pong after bad input')
  bad.ws.close()

  const flood = raw(port, `/app/${args.key}?protocol=7`)
  const est = await flood.box.take(isEvent('pusher:connection_established'), T, 'established')
  const sid = JSON.parse(est.data).socket_id
  const ch = 'private-flood-' + sfx
  flood.send({ event: 'pusher:subscribe', data: { channel: ch, auth: sign(args.secret, `${sid}:${ch}`) } })
  await flood.box.take(isEvent('pusher_internal:subscription_succeeded'), T, 'flood subscribed')
  // The server runs with --pusher_client_event_rate=1: the second event
  // within a second is over the limit (a slow server cannot refill the
  // allowance in between), and nothing is sent after it, so no unread
  // input turns the server's close into a reset.
  for (let i = 0; i < 2; i++) flood.send({ event: 'client-spam', channel: ch, data: { i } })
  out.flood = { error: (await flood.box.take(isEvent('pusher:error'), T, 'rate error')).data, close: await within(T, 'close', flood.closed) }

  for (const c of [a, ann, bob, mallory]) c.disconnect()
  return out
}

// cluster: members across two nodes, added and removed once per user.
async function cluster () {
  need(args, 'port1', 'port2', 'broadcast1')
  const [p1, p2] = [Number(args.port1), Number(args.port2)]
  const room = 'presence-hall-' + args.suffix
  const out = {}
  const added = new Mailbox('added')
  const removed = new Mailbox('removed')
  const events = new Mailbox('events')

  const obs = pusherClient(p1, { id: 'obs', name: 'Observer' })
  const obsRoom = obs.subscribe(room)
  await subscribed(obsRoom, 'observer')
  obsRoom.bind('pusher:member_added', (m) => added.push(m.id))
  obsRoom.bind('pusher:member_removed', (m) => removed.push(m.id))
  obsRoom.bind_global((name, data) => { if (name.startsWith('client-') || name === 'announce') events.push({ name, data }) })

  const u = pusherClient(p2, { id: 'u', name: 'U' })
  const uRoom = u.subscribe(room)
  const members = await subscribed(uRoom, 'u on node 2')
  out.uMembers = Object.keys(members.members).sort()
  out.firstAdded = await added.take(() => true, T, 'member_added u')

  // The same user on the other node: already a member.
  const u2 = pusherClient(p1, { id: 'u', name: 'U' })
  const u2Room = u2.subscribe(room)
  await subscribed(u2Room, 'u on node 1')
  u2Room.trigger('client-marker', { n: 1 })
  await events.take((e) => e.name === 'client-marker', T, 'marker after the second socket')

  // A server event broadcast on node 1 reaches node 2's subscriber.
  const uBox = new Mailbox('u events')
  uRoom.bind('announce', (d) => uBox.push(d))
  await broadcast(args.broadcast1, room, { event: 'announce', data: JSON.stringify({ x: 1 }) })
  out.crossNode = await uBox.take(() => true, T, 'announce on node 2')

  // One socket of u leaves: u is still present; the last one: removed.
  u.disconnect()
  u2.disconnect()
  out.removed = await removed.take(() => true, T, 'member_removed u')
  const v = pusherClient(p2, { id: 'v', name: 'V' })
  const vRoom = v.subscribe(room)
  await subscribed(vRoom, 'v on node 2')
  out.secondAdded = await added.take(() => true, T, 'member_added v')
  vRoom.trigger('client-marker', { n: 2 })
  await events.take((e) => e.name === 'client-marker', T, 'final marker')
  out.extraAdded = added.count()
  out.extraRemoved = removed.count()
  for (const c of [obs, v]) c.disconnect()
  return out
}

run(() => args.scenario === 'cluster' ? cluster() : single())
