'use strict'

// Wire codecs for densecable's end-to-end tests: Action Cable JSON, Msgpack
// and Protobuf (v1 and extended), written against the public npm packages
// @msgpack/msgpack and protobufjs so that the tests check the server with an
// independent implementation of each format.
//
//   const { createCodecs } = require('./codecs')
//   const codecs = createCodecs({ protoPath: '/path/to/action_cable.proto' })
//   const codec = codecs.forProtocol('actioncable-v1-ext-protobuf')
//   ws.send(codec.encode({ command: 'subscribe', identifier }))
//   ws.on('message', (data) => handle(codec.decode(data)))
//
// encode() takes a client command object as the JSON protocol spells it
// ({command, identifier, data, history, presence}); decode() returns a server
// message object as the JSON protocol spells it (only the fields that are
// set, plus reason/reconnect on disconnect).
//
// Protobuf enum numbers beyond action_cable.proto are densecable's documented
// extension (encoders/protobuf_enums.go): Command 6 whisper, 7 join, 8 leave,
// 9 presence, 10 ping; Type 8 pong, 9 presence. Payloads that are not strings
// travel msgpack-encoded in Message.message: the presence {id, info} for
// join, the data value for other commands.

const protobuf = require('protobufjs')
const msgpack = require('@msgpack/msgpack')

const COMMANDS = ['unknown_command', 'subscribe', 'unsubscribe', 'message', 'history', 'pong',
  'whisper', 'join', 'leave', 'presence', 'ping']
const TYPES = ['no_type', 'welcome', 'disconnect', 'ping', 'confirm_subscription', 'reject_subscription',
  'confirm_history', 'reject_history', 'pong', 'presence']

// toBytes turns what a WebSocket library hands over (Buffer, ArrayBuffer,
// Buffer[] fragments, typed array) into a Uint8Array.
function toBytes (data) {
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (typeof data === 'string') return new TextEncoder().encode(data)
  throw new TypeError('cannot read bytes from ' + typeof data)
}

function toText (data) {
  return typeof data === 'string' ? data : new TextDecoder().decode(toBytes(data))
}

// int64 fields come back as Long objects (protobufjs uses the long package).
function toNumber (v) {
  if (v === null || v === undefined) return 0
  return typeof v === 'number' ? v : Number(v.toString())
}

const json = {
  id: 'json',
  binary: false,
  encode: (cmd) => JSON.stringify(cmd),
  decode: (data) => JSON.parse(toText(data))
}

const msgpackCodec = {
  id: 'msgpack',
  binary: true,
  encode: (cmd) => msgpack.encode(cmd),
  decode: (data) => msgpack.decode(toBytes(data))
}

function commandNumber (name) {
  const n = COMMANDS.indexOf(name || 'unknown_command')
  if (n < 0) throw new Error('no protobuf number for command ' + name)
  return n
}

function typeName (n) {
  const name = TYPES[n]
  if (name === undefined) throw new Error('unknown protobuf type ' + n)
  return name
}

function protobufCodec (root, ext) {
  const Message = root.lookupType('action_cable.Message')
  const Reply = root.lookupType('action_cable.Reply')

  function encode (cmd) {
    const m = { command: commandNumber(cmd.command) }
    if (cmd.identifier !== undefined) m.identifier = cmd.identifier
    if (typeof cmd.data === 'string') {
      m.data = cmd.data
    } else if (cmd.data !== undefined && cmd.data !== null) {
      m.message = msgpack.encode(cmd.data)
    }
    if (cmd.presence && cmd.command === 'join') m.message = msgpack.encode(cmd.presence)
    if (cmd.history) {
      m.history = {}
      if (cmd.history.since) m.history.since = cmd.history.since
      if (cmd.history.streams) m.history.streams = cmd.history.streams
    }
    const err = Message.verify(m)
    if (err) throw new Error(err)
    return Message.encode(Message.fromObject(m)).finish()
  }

  function decode (data) {
    const type = ext ? Reply : Message
    const d = type.decode(toBytes(data))
    const out = {}
    const t = typeName(d.type)
    if (t !== 'no_type') out.type = t
    if (d.identifier) out.identifier = d.identifier
    if (d.message && d.message.length > 0) out.message = msgpack.decode(d.message)
    if (d.reason) out.reason = d.reason
    if (d.reconnect || t === 'disconnect') out.reconnect = !!d.reconnect
    if (ext) {
      if (d.stream_id) out.stream_id = d.stream_id
      if (d.epoch) out.epoch = d.epoch
      if (toNumber(d.offset) !== 0) out.offset = toNumber(d.offset)
      if (d.sid) out.sid = d.sid
      if (d.restored) out.restored = true
      if (d.restored_ids && d.restored_ids.length > 0) out.restored_ids = d.restored_ids.slice()
    }
    return out
  }

  return { id: ext ? 'protobuf_ext' : 'protobuf', binary: true, encode, decode }
}

// createCodecs loads the Protobuf schema from protoPath (action_cable.proto)
// and returns every codec plus forProtocol(subprotocol).
function createCodecs ({ protoPath }) {
  if (!protoPath) throw new Error('createCodecs: protoPath (action_cable.proto) is required')
  // keepCase: field names as in the .proto (stream_id, restored_ids).
  const root = new protobuf.Root().loadSync(protoPath, { keepCase: true })
  const codecs = {
    json,
    msgpack: msgpackCodec,
    protobuf: protobufCodec(root, false),
    protobufExt: protobufCodec(root, true)
  }
  const byProtocol = {
    '': json,
    'actioncable-v1-json': json,
    'actioncable-v1-ext-json': json,
    'actioncable-v1-msgpack': msgpackCodec,
    'actioncable-v1-ext-msgpack': msgpackCodec,
    'actioncable-v1-protobuf': codecs.protobuf,
    'actioncable-v1-ext-protobuf': codecs.protobufExt
  }
  codecs.forProtocol = (name) => {
    const c = byProtocol[name || '']
    if (!c) throw new Error('no codec for sub-protocol ' + name)
    return c
  }
  return codecs
}

module.exports = { createCodecs, toBytes, COMMANDS, TYPES }
