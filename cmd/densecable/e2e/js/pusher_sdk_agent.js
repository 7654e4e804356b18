'use strict'

// An agent driving the official `pusher` server SDK against densecable's
// Pusher HTTP API, plus a webhook receiver that checks every webhook with
// the SDK's own webhook() helper. The Go test sends one JSON command per
// line on stdin, {"seq": N, "op": "...", ...}, and the agent answers each
// with {"event": "r<N>", ...}.
//
//   node pusher_sdk_agent.js --host=127.0.0.1 --port=P --app=ID --key=K \
//     --secret=S --hook_port=H
//
// Commands (every SDK call answers {status, body}; a refused request's
// status and body come back the same way, not as an error):
//   trigger      {channels, name, data, socket_id?}   pusher.trigger
//   triggerBatch {batch}                               pusher.triggerBatch
//   get          {path, params?}                      pusher.get
//   as           {app?, key?, secret?, port?, call}   runs call (a command)
//                                                      with other credentials
//                                                      or on another node
//   stale        {call}                               runs call with the clock
//                                                      20 minutes behind
//   raw          {method, path, body, sign}           a request with a raw body,
//                                                      signed (sign) or not
//   webhook      {name, channel, ms?}                 waits for that webhook
//                                                      event → {hook}
//   webhooks     {}                                   → {events, invalid}: all so far
//
// and pusher-js clients (channel auth signed by the SDK's authorizeChannel;
// presence members are {user_id: user, user_info: {name: user}}):
//   connect      {client, user?, port?}               → {socket_id}
//   subscribe    {client, channel}                    → {members}: presence count
//   take         {client, channel, name, ms?}         next event called name → {data}
//   count        {client, channel, name}              → {count} of unread events called name
//   clientEvent  {client, channel, name, data}        channel.trigger → {sent}
//   disconnect   {client}
//   quit

const http = require('http')
const Pusher = require('pusher')
const PusherJS = require('pusher-js')
const { createSignedQueryString } = require('pusher/lib/requests')
const lib = require('./lib.js')

const { run, Mailbox, parseArgs, need } = lib
const STEP_MS = 10000

function client (args, over) {
  return new Pusher(Object.assign({
    appId: args.app, key: args.key, secret: args.secret, host: args.host, port: args.port, useTLS: false
  }, over || {}))
}

// answer turns an SDK promise into {status, body}.
async function answer (promise) {
  try {
    const res = await promise
    return { status: res.status, body: await res.text() }
  } catch (err) {
    if (err.status) return { status: err.status, body: err.body }
    throw err
  }
}

// clientOps drive pusher-js clients by name.
function clientOps (args, pusher) {
  const clients = new Map() // name → {client, user, boxes: channel → Mailbox}
  const of = (name) => {
    const c = clients.get(name)
    if (!c) throw new Error('no client ' + name)
    return c
  }
  return {
    async connect ({ client: name, user, port }) {
      const state = { user, boxes: new Map() }
      state.client = new PusherJS(args.key, {
        wsHost: args.host,
        wsPort: Number(port || args.port),
        forceTLS: false,
        disableStats: true,
        enabledTransports: ['ws'],
        cluster: 'mt1',
        channelAuthorization: {
          customHandler: ({ socketId, channelName }, callback) => {
            const data = channelName.startsWith('presence-') ? { user_id: user, user_info: { name: user } } : undefined
            callback(null, pusher.authorizeChannel(socketId, channelName, data))
          }
        }
      })
      clients.set(name, state)
      await lib.within(STEP_MS, name + ' connects', new Promise((resolve, reject) => {
        state.client.connection.bind('connected', resolve)
        state.client.connection.bind('failed', () => reject(new Error(name + ': connection failed')))
      }))
      return { socket_id: state.client.connection.socket_id }
    },
    async subscribe ({ client: name, channel }) {
      const state = of(name)
      const box = new Mailbox(name + ' events on ' + channel)
      state.boxes.set(channel, box)
      const ch = state.client.subscribe(channel)
      ch.bind_global((event, data) => box.push({ event, data }))
      await box.take((e) => e.event === 'pusher:subscription_succeeded' || e.event === 'pusher:subscription_error',
        STEP_MS, name + ' subscribes to ' + channel).then((e) => {
        if (e.event !== 'pusher:subscription_succeeded') throw new Error(name + ': ' + channel + ' refused: ' + JSON.stringify(e.data))
      })
      return { members: ch.members ? ch.members.count : null }
    },
    async take ({ client: name, channel, name: event, ms }) {
      const box = of(name).boxes.get(channel)
      const e = await box.take((x) => x.event === event, ms || STEP_MS, name + ' waits for ' + event + ' on ' + channel)
      return { data: e.data }
    },
    count ({ client: name, channel, name: event }) {
      return { count: of(name).boxes.get(channel).count((x) => x.event === event) }
    },
    clientEvent ({ client: name, channel, name: event, data }) {
      return { sent: of(name).client.channel(channel).trigger(event, data) }
    },
    disconnect ({ client: name }) {
      of(name).client.disconnect()
      return {}
    }
  }
}

async function main () {
  const args = need(parseArgs(process.argv.slice(2)), 'host', 'port', 'app', 'key', 'secret', 'hook_port')
  const pusher = client(args)

  // The webhook receiver: every event of a valid webhook goes to the box;
  // a webhook the SDK finds invalid is counted.
  const hooks = new Mailbox('webhooks')
  const all = []
  let invalid = 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      const hook = pusher.webhook({ headers: req.headers, rawBody: body })
      if (!hook.isValid()) {
        invalid++
        res.writeHead(401).end()
        return
      }
      for (const e of hook.getEvents()) {
        all.push(e)
        hooks.push(e)
      }
      res.writeHead(200).end()
    })
  })
  await new Promise((resolve) => server.listen(Number(args.hook_port), '127.0.0.1', resolve))
  lib.emit('listening')

  let sdk = pusher
  const ops = {
    trigger: (c) => answer(sdk.trigger(c.channels, c.name, c.data, c.socket_id ? { socket_id: c.socket_id } : undefined)),
    triggerBatch: (c) => answer(sdk.triggerBatch(c.batch)),
    get: (c) => answer(sdk.get({ path: c.path, params: c.params || {} })),
    async as (c) {
      sdk = client(args, { appId: c.app || args.app, key: c.key || args.key, secret: c.secret || args.secret, port: c.port || args.port })
      try { return await ops[c.call.op](c.call) } finally { sdk = pusher }
    },
    async stale (c) {
      const now = Date.now
      Date.now = () => now() - 20 * 60 * 1000
      try { return await ops[c.call.op](c.call) } finally { Date.now = now }
    },
    async raw (c) {
      const path = '/apps/' + args.app + c.path
      const query = c.sign ? '?' + createSignedQueryString(pusher.config.token, { method: c.method, path, body: c.body }) : ''
      const res = await fetch('http://' + args.host + ':' + args.port + path + query, {
        method: c.method, body: c.body, headers: { 'content-type': 'application/json' }
      })
      return { status: res.status, body: await res.text() }
    },
    async webhook (c) {
      const event = await hooks.take((e) => e.name === c.name && e.channel === c.channel, c.ms || STEP_MS,
        'webhook ' + c.name + ' for ' + c.channel)
      return { hook: event }
    },
    webhooks: () => ({ events: all, invalid }),
    ...clientOps(args, pusher)
  }

  await lib.serveCommands(ops)
  server.close()
  return {}
}

run(main)
