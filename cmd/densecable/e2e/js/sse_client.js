'use strict'

// Scenarios for densecable's Server-Sent Events endpoint (--sse), with the
// `eventsource` package (the EventSource API for Node) for GET streams and
// fetch for POST streams, status codes and raw bodies.
//
//   node sse_client.js --scenario=reliable --url=http://127.0.0.1:P \
//     --broadcast=http://127.0.0.1:P/_broadcast --stream=S
//   node sse_client.js --scenario=restart --url=http://A --broadcast=http://B/_broadcast --stream=S
//   node sse_client.js --scenario=rpc --url=http://P --broadcast=http://P/_broadcast --key=K
//
// reliable: live broadcasts with ids; a second EventSource resumes from the
//   first one's Last-Event-ID (no loss, no duplicates); history_since;
//   raw=1 sends data only.
// restart: an EventSource on node A gets a broadcast published on node B;
//   when A stops it gets the disconnect event; what B publishes while A is
//   down arrives after A is back (stdin "restarted"), through EventSource's
//   own reconnect with Last-Event-ID.
// rpc: against an RPC application: identifier/channel queries, 401 for a
//   refused connection, 400 for a rejected subscription, a POST with JSONL
//   subscriptions to two rooms, OPTIONS and a wrong method.

const { EventSource } = require('eventsource')
const { run, within, Mailbox, broadcast, parseArgs, need, stdinLines } = require('./lib')

const STEP_MS = 10000

// openSource opens an EventSource and collects its events: message events
// as {n (from the data), data, id}, named events as {type, data}.
function openSource (url, headers) {
  const box = new Mailbox('events of ' + url)
  const init = {}
  if (headers) {
    init.fetch = (input, opts) => fetch(input, { ...opts, headers: { ...opts.headers, ...headers } })
  }
  const es = new EventSource(url, init)
  es.addEventListener('message', (e) => {
    let n
    try { n = JSON.parse(e.data).n } catch (_) {}
    box.push({ type: 'message', n, data: e.data, id: e.lastEventId })
  })
  for (const type of ['welcome', 'confirm_subscription', 'reject_subscription', 'confirm_history', 'reject_history', 'disconnect']) {
    es.addEventListener(type, (e) => box.push({ type, data: JSON.parse(e.data) }))
  }
  es.addEventListener('open', () => box.push({ type: 'open' }))
  es.addEventListener('error', (e) => box.push({ type: 'error', status: e.code, state: es.readyState }))
  return { es, box }
}

// takeNumbers takes message events until one carries n = last, and returns
// the numbers in arrival order.
async function takeNumbers (box, last, what) {
  const got = []
  for (let i = 0; i < 50; i++) {
    const m = await box.take((e) => e.type === 'message', STEP_MS, what + ' (after ' + JSON.stringify(got) + ')')
    got.push(m.n)
    if (m.n === last) return { got, lastID: m.id }
  }
  throw new Error(what + ': no message ' + last + ' in 50: ' + JSON.stringify(got))
}

// readStream fetches url and reads its body until pred(text) holds.
async function readStream (url, init, pred, what) {
  const ctl = new AbortController()
  const res = await fetch(url, { ...init, signal: ctl.signal })
  const reader = res.body.getReader()
  const dec = new TextDecoder()
  let text = ''
  const done = (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      text += dec.decode(value, { stream: true })
      if (pred(text)) return
    }
  })()
  return { res, text: () => text, wait: () => within(STEP_MS, what, done), close: () => ctl.abort() }
}

async function reliable (args) {
  const url = args.url + '/events?stream=' + encodeURIComponent(args.stream)
  const since = Math.floor(Date.now() / 1000) - 1
  const first = openSource(url)
  const opened = []
  opened.push((await first.box.take((e) => e.type === 'welcome', STEP_MS, 'welcome')).type)
  opened.push((await first.box.take((e) => e.type === 'confirm_subscription', STEP_MS, 'confirm')).type)
  for (let n = 1; n <= 3; n++) await broadcast(args.broadcast, args.stream, { n })
  const live = await takeNumbers(first.box, 3, 'live 1..3')
  first.es.close()

  for (let n = 4; n <= 5; n++) await broadcast(args.broadcast, args.stream, { n })
  const second = openSource(url, { 'Last-Event-ID': live.lastID })
  await second.box.take((e) => e.type === 'confirm_subscription', STEP_MS, 'resumed confirm')
  const replay = await takeNumbers(second.box, 5, 'replay 4..5')
  await broadcast(args.broadcast, args.stream, { n: 6 })
  const after = await takeNumbers(second.box, 6, 'live 6')
  second.es.close()

  const third = openSource(url + '&history_since=' + since)
  const sinceGot = await takeNumbers(third.box, 6, 'history since')
  third.es.close()

  // fetch resolves with the head, which comes once the subscription is
  // confirmed: publishing after it cannot be missed.
  const raw = await readStream(url + '&raw=1', {}, (t) => t.includes('"n":7'), 'raw stream')
  await broadcast(args.broadcast, args.stream, { n: 7 })
  await raw.wait()
  raw.close()

  return {
    opened,
    live: live.got,
    lastID: live.lastID,
    replayed: replay.got.concat(after.got),
    since: sinceGot.got,
    raw: raw.text(),
    rawType: raw.res.headers.get('content-type')
  }
}

async function restart (args) {
  const stdin = stdinLines()
  const url = args.url + '/events?stream=' + encodeURIComponent(args.stream)
  const src = openSource(url)
  await src.box.take((e) => e.type === 'confirm_subscription', STEP_MS, 'confirm')
  await broadcast(args.broadcast, args.stream, { n: 1 })
  const before = await takeNumbers(src.box, 1, 'broadcast from the other node')
  process.stdout.write(JSON.stringify({ event: 'ready' }) + '\n')
  const bye = await src.box.take((e) => e.type === 'disconnect', 30000, 'disconnect at shutdown')
  await broadcast(args.broadcast, args.stream, { n: 2 })
  process.stdout.write(JSON.stringify({ event: 'published' }) + '\n')
  await stdin('restarted', 60000)
  // EventSource reconnects by itself and sends Last-Event-ID.
  await src.box.take((e) => e.type === 'confirm_subscription', 30000, 'confirm after the restart')
  const replay = await takeNumbers(src.box, 2, 'missed broadcast')
  await broadcast(args.broadcast, args.stream, { n: 3 })
  const after = await takeNumbers(src.box, 3, 'live after the restart')
  src.es.close()
  return { before: before.got, lastID: before.lastID, disconnect: bye.data, after: replay.got.concat(after.got) }
}

async function rpc (args) {
  const id = (room) => JSON.stringify({ channel: 'chat', room })
  const lobby = openSource(args.url + '/events?user=alice&identifier=' + encodeURIComponent(id('lobby')))
  const welcome = await lobby.box.take((e) => e.type === 'welcome', STEP_MS, 'welcome')
  const confirm = await lobby.box.take((e) => e.type === 'confirm_subscription', STEP_MS, 'confirm')
  await broadcast(args.broadcast, 'chat:lobby', { n: 1, text: 'hi' }, args.key)
  const got = await lobby.box.take((e) => e.type === 'message', STEP_MS, 'broadcast')
  lobby.es.close()

  const status = async (path, init) => {
    const res = await fetch(args.url + path, init)
    await res.arrayBuffer()
    return { status: res.status, origin: res.headers.get('access-control-allow-origin') }
  }
  const refused = await status('/events?identifier=' + encodeURIComponent(id('lobby')))
  const rejected = await status('/events?user=alice&channel=chat')
  const options = await status('/events', { method: 'OPTIONS' })
  const wrongMethod = await status('/events', { method: 'PUT' })
  const noChannel = await status('/events?user=alice')
  const badBody = await status('/events?user=alice', { method: 'POST', body: 'not json\n' })

  // EventSource does not retry a refused connection.
  const denied = openSource(args.url + '/events?identifier=' + encodeURIComponent(id('lobby')))
  const deniedErr = await denied.box.take((e) => e.type === 'error', STEP_MS, 'refused EventSource')
  denied.es.close()

  const body = JSON.stringify({ command: 'subscribe', identifier: id('a') }) + '\n' +
    JSON.stringify({ command: 'subscribe', identifier: id('b') }) + '\n'
  const post = await readStream(args.url + '/events?user=alice', { method: 'POST', body },
    (t) => t.includes('"n":2'), 'POST stream')
  await broadcast(args.broadcast, 'chat:a', { n: 1 }, args.key)
  await broadcast(args.broadcast, 'chat:b', { n: 2 }, args.key)
  await post.wait()
  post.close()
  return {
    welcome: welcome.data.type,
    confirm: confirm.data,
    message: JSON.parse(got.data),
    refused,
    rejected,
    options,
    wrongMethod,
    noChannel,
    badBody,
    deniedErr: { status: deniedErr.status, state: deniedErr.state },
    postStatus: post.res.status,
    post: post.text()
  }
}

run(async () => {
  const args = need(parseArgs(process.argv.slice(2)), 'scenario', 'url', 'broadcast')
  switch (args.scenario) {
    case 'reliable': return reliable(need(args, 'stream'))
    case 'restart': return restart(need(args, 'stream'))
    case 'rpc': return rpc(need(args, 'key'))
  }
  throw new Error('unknown scenario ' + args.scenario)
})
