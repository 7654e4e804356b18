// Scenario: the official GraphQL WebSocket clients against densecable's
// --graphql_path and the bench RPC app's GraphqlChannel (a query
// hello(name) and a subscription postCreated that streams from
// graphql-subscription:postCreated:<operation id>).
//
//   node graphql_clients.mjs --modes=graphql-ws,apollo,legacy,rejected,legacy-rejected,jwt [--jid=TOKEN] \
//     --url=ws://127.0.0.1:P/graphql --broadcast=http://127.0.0.1:B/_broadcast
//
// The modes run one after the other in one process (the clients are
// imported only when a mode needs them: @apollo/client alone takes seconds
// to load). Each mode: connect with connection params; run the query; subscribe and
// receive broadcasts (published again every 200 ms until one arrives: a
// subscription is not confirmed to GraphQL clients); a broadcast of
// {more:false} completes a second subscription; the server's keep-alive
// (ping / ka) is seen on the wire. The rejected modes expect the refusal.

import WebSocket from 'ws'
import lib from './lib.js'

const { emit, run, within, Mailbox, broadcast, parseArgs, need } = lib

const STEP_MS = 10000
const args = need(parseArgs(process.argv.slice(2)), 'modes', 'url', 'broadcast')

// SpyWebSocket records what the server sends and how it closes, in the
// mailboxes of the mode that opened the socket.
let frames, closes
class SpyWebSocket extends WebSocket {
  constructor (...a) {
    super(...a)
    const f = frames
    const c = closes
    this.on('message', (data) => f.push(JSON.parse(data.toString())))
    this.on('close', (code, reason) => c.push({ code, reason: reason.toString() }))
  }
}

const stream = (id) => 'graphql-subscription:postCreated:' + id
const post = (title) => ({ result: { data: { postCreated: { title, __typename: 'Post' } } }, more: true })

// publishUntil broadcasts data to the operation's stream until got has an
// item: the server subscribes to the stream after the operation's perform.
async function publishUntil (id, data, box, what) {
  let stop = false
  const loop = (async () => {
    while (!stop) {
      await broadcast(args.broadcast, stream(id), data)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  })()
  try {
    return await box.take(() => true, STEP_MS, what)
  } finally {
    stop = true
    await loop
  }
}

function sink (name) {
  const box = { next: new Mailbox(name + ' next'), done: new Mailbox(name + ' done') }
  box.observer = {
    next: (v) => box.next.push(v),
    error: (e) => box.done.push({ error: e && (e.code || e.message || JSON.stringify(e)) }),
    complete: () => box.done.push({ complete: true })
  }
  return box
}

async function graphqlWS () {
  const { createClient } = await import('graphql-ws')
  let n = 0
  const client = createClient({
    url: args.url,
    webSocketImpl: SpyWebSocket,
    connectionParams: { token: 'alice' },
    generateID: () => 'op-' + (++n),
    lazy: false, // one socket for every operation, open until dispose
    retryAttempts: 0
  })
  const q = sink('query')
  client.subscribe({ query: 'query Hello($name: String) { hello(name: $name) }', variables: { name: 'graphql-ws' } }, q.observer)
  const result = await q.next.take(() => true, STEP_MS, 'query result')
  await q.done.take((d) => d.complete, STEP_MS, 'query complete')

  const s = sink('subscription')
  const stop = client.subscribe({ query: 'subscription { postCreated { title } }' }, s.observer)
  const got = await publishUntil('op-2', post('first'), s.next, 'broadcast to op-2')
  stop() // client-side complete

  const s2 = sink('second subscription')
  client.subscribe({ query: 'subscription { postCreated { title } }' }, s2.observer)
  await publishUntil('op-3', post('second'), s2.next, 'broadcast to op-3')
  await broadcast(args.broadcast, stream('op-3'), { more: false })
  const end = await s2.done.take(() => true, STEP_MS, 'server-side complete')

  await frames.take((f) => f.type === 'ping', STEP_MS, 'server ping')
  await client.dispose()
  return { result, got, end }
}

async function apollo () {
  const { createClient } = await import('graphql-ws')
  const { ApolloClient, InMemoryCache, gql } = await import('@apollo/client')
  const { GraphQLWsLink } = await import('@apollo/client/link/subscriptions')
  const ws = createClient({ url: args.url, webSocketImpl: SpyWebSocket, connectionParams: { token: 'bob' }, retryAttempts: 0, generateID: (() => { let n = 0; return () => 'ap-' + (++n) })() })
  const client = new ApolloClient({ link: new GraphQLWsLink(ws), cache: new InMemoryCache() })
  const res = await within(STEP_MS, 'apollo query', client.query({
    query: gql`query Hello($name: String) { hello(name: $name) }`, variables: { name: 'apollo' }, fetchPolicy: 'no-cache'
  }))
  const s = sink('apollo subscription')
  const sub = client.subscribe({ query: gql`subscription OnPost { postCreated { title } }`, fetchPolicy: 'no-cache' }).subscribe(s.observer)
  const got = await publishUntil('ap-2', post('apollo post'), s.next, 'apollo broadcast')
  sub.unsubscribe()
  await ws.dispose()
  return { result: { data: res.data }, got: { data: got.data } }
}

async function legacy () {
  const { SubscriptionClient } = (await import('subscriptions-transport-ws')).default
  const client = new SubscriptionClient(args.url, { reconnect: false, connectionParams: { token: 'carol' } }, SpyWebSocket)
  const q = sink('legacy query')
  client.request({ query: 'query Hello($name: String) { hello(name: $name) }', variables: { name: 'legacy' } }).subscribe(q.observer)
  const result = await q.next.take(() => true, STEP_MS, 'legacy query result')
  await q.done.take((d) => d.complete, STEP_MS, 'legacy query complete')

  const s = sink('legacy subscription')
  const sub = client.request({ query: 'subscription { postCreated { title } }' }).subscribe(s.observer)
  const got = await publishUntil('2', post('legacy post'), s.next, 'legacy broadcast')
  sub.unsubscribe() // stop

  const s2 = sink('legacy second')
  client.request({ query: 'subscription { postCreated { title } }' }).subscribe(s2.observer)
  await publishUntil('3', post('again'), s2.next, 'legacy broadcast 3')
  await broadcast(args.broadcast, stream('3'), { more: false })
  const end = await s2.done.take(() => true, STEP_MS, 'legacy server-side complete')

  await frames.take((f) => f.type === 'ka', STEP_MS, 'legacy keep-alive')
  client.close()
  return { result, got, end }
}

async function rejected () {
  const { createClient } = await import('graphql-ws')
  const client = createClient({ url: args.url, webSocketImpl: SpyWebSocket, connectionParams: { token: 'reject' }, retryAttempts: 0 })
  const q = sink('rejected query')
  client.subscribe({ query: '{ hello }' }, q.observer)
  const done = await q.done.take(() => true, STEP_MS, 'rejection')
  const close = await closes.take(() => true, STEP_MS, 'close')
  return { done, close }
}

async function legacyRejected () {
  const { SubscriptionClient } = (await import('subscriptions-transport-ws')).default
  const errors = new Mailbox('connection errors')
  const client = new SubscriptionClient(args.url, {
    reconnect: false, connectionParams: { token: 'reject' }, connectionCallback: (err) => errors.push(err || 'ok')
  }, SpyWebSocket)
  const err = await errors.take(() => true, STEP_MS, 'connection_error')
  const close = await closes.take(() => true, STEP_MS, 'close')
  client.close()
  return { error: err, close }
}

// jwt: the token travels in the connection params (--jid=TOKEN); the
// server identifies the connection without a Connect call.
async function jwt () {
  const { createClient } = await import('graphql-ws')
  const client = createClient({ url: args.url, webSocketImpl: SpyWebSocket, connectionParams: { jid: args.jid }, retryAttempts: 0 })
  const q = sink('jwt query')
  client.subscribe({ query: '{ hello }' }, q.observer)
  const next = await Promise.race([q.next.take(() => true, STEP_MS, 'jwt query result'), q.done.take(() => true, STEP_MS, 'jwt query end')])
  await client.dispose()
  return { answer: next }
}

const modes = { 'graphql-ws': graphqlWS, apollo, legacy, rejected, 'legacy-rejected': legacyRejected, jwt }
run(async () => {
  const observed = {}
  for (const mode of args.modes.split(',')) {
    frames = new Mailbox(mode + ' server frames')
    closes = new Mailbox(mode + ' socket closes')
    observed[mode] = await modes[mode]()
    emit('mode', { mode })
  }
  return { observed }
})
