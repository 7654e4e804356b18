'use strict'

// node_actioncable.js loads the official @rails/actioncable client into
// Node.js: the `ws` package stands in for the browser's WebSocket, and the
// browser-only page events the connection monitor listens to (visibility
// changes) get no-op stand-ins. Options:
//   WebSocket: the WebSocket class to use (default: ws)
//   staleThreshold: seconds without a message (ping) before the monitor
//     reopens the connection (Action Cable's default is 6).

const WebSocket = require('ws')

function loadActionCable ({ WebSocket: Impl = WebSocket, staleThreshold } = {}) {
  // ConnectionMonitor calls the global addEventListener('visibilitychange').
  if (typeof globalThis.addEventListener !== 'function') globalThis.addEventListener = () => {}
  if (typeof globalThis.removeEventListener !== 'function') globalThis.removeEventListener = () => {}
  const ActionCable = require('@rails/actioncable')
  ActionCable.adapters.WebSocket = Impl
  if (staleThreshold) ActionCable.ConnectionMonitor.staleThreshold = staleThreshold
  return ActionCable
}

module.exports = { loadActionCable }
