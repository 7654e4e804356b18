// Scenario: the official @anycable/core client against a densecable running
// without RPC (--norpc): JWT identification through the anycable-token.*
// sub-protocol, public streams (streamFrom), signed streams
// (streamFromSigned) and whispers between two clients on a signed stream.
//
//   node anycable_core_client.mjs --url=ws://127.0.0.1:P/cable \
//     --broadcast=http://127.0.0.1:P/_broadcast --key=<broadcast key> \
//     --protocol=actioncable-v1-json|actioncable-v1-ext-json \
//     --tokens=<JSON {alice, bob, forged, expired, none}> \
//     --public=<stream> --stream=<stream> --signed=<signed name of stream> \
//     --tampered=<signed name with a bad digest>
//
// The Go test makes the tokens and signed names, so the script checks the
// server against an independent implementation of both formats.

import WebSocket from 'ws'
import { createCable, SubscriptionRejectedError } from '@anycable/core'
import lib from './lib.js'

const { run, within, Mailbox, broadcast, parseArgs, need, sameJSON } = lib
const STEP_MS = 5000

// cableFor makes a cable that sends token as the anycable-token.*
// sub-protocol; without a token it uses the default strategy, since the
// sub-protocol one would offer an empty sub-protocol that ws refuses.
function cableFor (args, token) {
  const opts = {
    protocol: args.protocol,
    websocketImplementation: WebSocket,
    logLevel: 'error'
  }
  if (token !== undefined) {
    opts.websocketAuthStrategy = 'sub-protocol'
    opts.auth = { token }
  }
  return createCable(args.url, opts)
}

// refused connects with token and returns the reason the server gave.
async function refused (args, token, what) {
  const cable = cableFor(args, token)
  try {
    await within(STEP_MS, what, cable.connect())
  } catch (err) {
    cable.disconnect()
    return err.reason || String(err)
  }
  cable.disconnect()
  throw new Error(what + ': connected, want the connection refused')
}

// listen collects a channel's messages.
function listen (channel, name) {
  const box = new Mailbox(name)
  channel.on('message', (msg) => box.push(msg))
  return box
}

const is = (want) => (msg) => sameJSON(msg, want)

async function main () {
  const args = need(parseArgs(process.argv.slice(2)),
    'url', 'broadcast', 'key', 'protocol', 'tokens', 'public', 'stream', 'signed', 'tampered')
  const tokens = JSON.parse(args.tokens)
  const send = (stream, data) => broadcast(args.broadcast, stream, data, args.key)

  // Bad tokens are refused with the documented reasons.
  const reasons = {
    forged: await refused(args, tokens.forged, 'token signed with another secret'),
    expired: await refused(args, tokens.expired, 'expired token'),
    none: await refused(args, tokens.none, 'alg=none token'),
    missing: await refused(args, undefined, 'no token (enforce_jwt)')
  }

  const alice = cableFor(args, tokens.alice)
  const bob = cableFor(args, tokens.bob)
  await within(STEP_MS, 'alice connects with her JWT', alice.connect())
  await within(STEP_MS, 'bob connects with his JWT', bob.connect())
  // The server picks the cable protocol, never the token sub-protocol.
  const negotiated = alice.transport.ws.protocol

  // Public stream.
  const pub = alice.streamFrom(args.public)
  const pubBox = listen(pub, 'alice public')
  await within(STEP_MS, 'streamFrom(' + args.public + ') confirmed', pub.ensureSubscribed())
  await send(args.public, { text: 'public-1' })
  await pubBox.take(is({ text: 'public-1' }), STEP_MS, 'public broadcast')

  // Signed stream, both clients.
  const aliceSigned = alice.streamFromSigned(args.signed)
  const bobSigned = bob.streamFromSigned(args.signed)
  const aliceBox = listen(aliceSigned, 'alice signed')
  const bobBox = listen(bobSigned, 'bob signed')
  await within(STEP_MS, 'alice streamFromSigned confirmed', aliceSigned.ensureSubscribed())
  await within(STEP_MS, 'bob streamFromSigned confirmed', bobSigned.ensureSubscribed())
  await send(args.stream, { text: 'signed-1' })
  await aliceBox.take(is({ text: 'signed-1' }), STEP_MS, 'signed broadcast')
  await bobBox.take(is({ text: 'signed-1' }), STEP_MS, 'signed broadcast')

  // A tampered signed name is rejected.
  const bad = bob.streamFromSigned(args.tampered)
  let tampered = 'confirmed'
  try {
    await within(STEP_MS, 'tampered signed stream answered', bad.ensureSubscribed())
  } catch (err) {
    tampered = err instanceof SubscriptionRejectedError ? 'rejected' : 'error: ' + err
  }

  // Whispers go to the other subscribers, never back to the sender. The
  // marker broadcast after the whisper arrived shows the sender's stream
  // is drained past the point where its own whisper would have been.
  await aliceSigned.whisper({ event: 'typing', name: 'alice' })
  const whisper = await bobBox.take(is({ event: 'typing', name: 'alice' }), STEP_MS, 'alice\'s whisper at bob')
  await bobSigned.whisper({ event: 'typing', name: 'bob' })
  await aliceBox.take(is({ event: 'typing', name: 'bob' }), STEP_MS, 'bob\'s whisper at alice')
  await send(args.stream, { text: 'marker' })
  await aliceBox.take(is({ text: 'marker' }), STEP_MS, 'marker broadcast at alice')
  await bobBox.take(is({ text: 'marker' }), STEP_MS, 'marker broadcast at bob')
  const echoed = aliceBox.count() + bobBox.count()
  if (echoed !== 0) {
    throw new Error('a sender received its own whisper: ' + JSON.stringify([aliceBox.items, bobBox.items]))
  }

  alice.disconnect()
  bob.disconnect()
  return { negotiated, reasons, tampered, whisper }
}

run(main)
