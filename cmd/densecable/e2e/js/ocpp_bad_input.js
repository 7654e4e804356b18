'use strict'

// Bad input to densecable's OCPP endpoint with raw WebSocket frames: an
// upgrade without the ocpp1.6 sub-protocol is refused (HTTP 400); on an
// ocpp1.6 connection, malformed frames, unknown message types and calls
// before BootNotification get OCPP-J CALLERRORs, and the connection still
// boots afterwards.
//
// Arguments: --ocpp=ws://host:port/ocpp/<station id>

const WebSocket = require('ws')
const { run, within, Mailbox, parseArgs, need } = require('./lib')

const T = 15000

function refusedStatus (url, protocols) {
  return within(T, 'upgrade refusal', new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols)
    ws.on('open', () => { ws.close(); reject(new Error('upgrade accepted')) })
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy() })
    ws.on('error', () => {})
  }))
}

run(async () => {
  const args = need(parseArgs(process.argv.slice(2)), 'ocpp')
  const out = {
    noProtocol: await refusedStatus(args.ocpp),
    wrongProtocol: await refusedStatus(args.ocpp, ['ocpp2.0.1'])
  }

  const box = new Mailbox('server frames')
  const ws = new WebSocket(args.ocpp, ['ocpp1.6'])
  ws.on('message', (raw) => box.push(JSON.parse(raw.toString())))
  await within(T, 'open', new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject) }))
  out.protocol = ws.protocol
  const answer = async (frame, id) => {
    ws.send(frame)
    return box.take((m) => m[1] === id, T, 'answer to ' + frame)
  }
  out.notJSON = await answer('{oops', '-1')
  out.notArray = await answer('{"a":1}', '-1')
  out.unknownType = await answer('[7,"u1",{}]', 'u1')
  out.incomplete = await answer('[2,"i1","Authorize"]', 'i1')
  out.payloadNotObject = await answer('[2,"p1","Authorize",[1]]', 'p1')
  out.badAction = await answer('[2,"a1","no such action!",{}]', 'a1')
  out.beforeBoot = await answer('[2,"b0","Authorize",{"idTag":"x"}]', 'b0')
  out.boot = await answer('[2,"b1","BootNotification",{"chargePointVendor":"v","chargePointModel":"m","meterSerialNumber":"SN-1"}]', 'b1')
  out.afterBoot = await answer('[2,"h1","Heartbeat",{}]', 'h1')
  out.closed = ws.readyState !== WebSocket.OPEN
  ws.close()
  return out
})
