'use strict'

// An OCPP 1.6 charge point (ocpp-rpc's RPCClient) against densecable's
// --ocpp_path, with the test RPC application's OCPPChannel
// (bench/internal/benchapp/ocpp.go). What the application heard comes back
// through an Action Cable client on the stream "ocpp_log/<identity>" (the
// application broadcasts every action's data there).
//
// Arguments: --ocpp=ws://host:port/ocpp --cable=ws://host:port/cable
// --broadcast=<HTTP broadcast URL for commands to the station>
// --identity=<station id> --granular=true|false

const WebSocket = require('ws')
const { RPCClient, createRPCError } = require('ocpp-rpc')
const { run, within, Mailbox, broadcast, parseArgs, need } = require('./lib')

const T = 15000

// logListener subscribes an Action Cable client to the application's log.
async function logListener (cable, stream) {
  const box = new Mailbox('application log')
  const ws = new WebSocket(cable, ['actioncable-v1-json'])
  const identifier = JSON.stringify({ channel: 'LogChannel', stream })
  const confirmed = new Promise((resolve, reject) => {
    ws.on('error', reject)
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString())
      if (m.type === 'welcome') ws.send(JSON.stringify({ command: 'subscribe', identifier }))
      if (m.type === 'confirm_subscription') resolve()
      if (m.identifier === identifier && m.message) box.push(m.message)
    })
  })
  await within(T, 'log subscription', confirmed)
  return { box, close: () => ws.close() }
}

run(async () => {
  const args = need(parseArgs(process.argv.slice(2)), 'ocpp', 'cable', 'broadcast', 'identity', 'granular')
  const granular = args.granular === 'true'
  const log = await logListener(args.cable, 'ocpp_log/' + args.identity)
  const heard = (pred, what) => log.box.take(pred, T, what)

  const calls = new Mailbox('calls from the server')
  const cp = new RPCClient({ endpoint: args.ocpp, identity: args.identity, protocols: ['ocpp1.6'], strictMode: false, reconnect: false })
  cp.handle('TriggerMessage', ({ params, messageId }) => { calls.push({ method: 'TriggerMessage', params, messageId }); return { status: 'Accepted' } })
  cp.handle('GetConfiguration', ({ params, messageId }) => { calls.push({ method: 'GetConfiguration', params, messageId }); return { configurationKey: [] } })
  cp.handle('Reset', ({ params, messageId }) => {
    calls.push({ method: 'Reset', params, messageId })
    throw createRPCError('NotSupported', 'no resets today', { why: 'test' })
  })
  await within(T, 'connect', cp.connect())
  const out = { protocol: cp.protocol }

  out.boot = await within(T, 'BootNotification', cp.call('BootNotification', { chargePointVendor: 'densecable', chargePointModel: 'e2e' }))
  out.bootHeard = await heard((m) => m.command === 'BootNotification', 'boot_notification heard')
  out.heartbeat = await within(T, 'Heartbeat', cp.call('Heartbeat', {}))
  out.authorize = await within(T, 'Authorize', cp.call('Authorize', { idTag: 'TAG-1' }))
  out.authorizeHeard = await heard((m) => m.command === 'Authorize', 'authorize heard')
  if (!granular) return out

  out.start = await within(T, 'StartTransaction', cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG-1', meterStart: 0, timestamp: new Date().toISOString() }))
  out.status = await within(T, 'StatusNotification', cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' }))
  out.statusHeard = await heard((m) => m.command === 'StatusNotification', 'status_notification heard')

  // A command broadcast to the station's stream arrives as a CALL; its
  // CALLRESULT reaches the ack action.
  await broadcast(args.broadcast, 'ev/' + args.identity, { command: 'TriggerMessage', id: 'trigger-1', payload: { requestedMessage: 'Heartbeat' } })
  out.trigger = await calls.take((c) => c.method === 'TriggerMessage', T, 'TriggerMessage call')
  out.triggerAck = await heard((m) => m.action === 'ack', 'ack action')

  // Without an id it gets one; a CALLERROR reaches the error action.
  await broadcast(args.broadcast, 'ev/' + args.identity, { command: 'Reset', payload: { type: 'Soft' } })
  out.reset = await calls.take((c) => c.method === 'Reset', T, 'Reset call')
  out.resetError = await heard((m) => m.action === 'error', 'error action')

  // A command the application transmits from an action is a server call too.
  out.dataTransfer = await within(T, 'DataTransfer', cp.call('DataTransfer', { vendorId: 'densecable' }))
  out.getConfiguration = await calls.take((c) => c.method === 'GetConfiguration', T, 'GetConfiguration call')
  out.getConfigurationAck = await heard((m) => m.action === 'ack', 'ack of GetConfiguration')

  await cp.close()
  log.close()
  return out
})
