'use strict'

// A long-polling client written from the documented protocol
// (docs/long-polling.md; anycable-go's long_polling.md): the official
// @anycable/long-polling package is not available here.
//
//   - every request is a POST to the endpoint with a JSONL body of
//     commands (possibly empty);
//   - the first response carries the session id in X-Anycable-Poll-ID,
//     which every later request sends back;
//   - each response body is JSONL: the messages the server had;
//   - 401 ends the session (rejected, or expired).

const { Mailbox } = require('./lib')

class LongPollClient {
  constructor (url, { headers } = {}) {
    this.url = url
    this.headers = headers || {}
    this.id = null
    this.messages = new Mailbox('long-poll ' + url)
    this.running = false
    this.ended = null // the status that ended the session
    this.statuses = []
    this.inflight = new Set()
  }

  // request sends commands (objects) and queues the messages it gets back.
  async request (commands) {
    const headers = Object.assign({ 'Content-Type': 'application/jsonl' }, this.headers)
    if (this.id) headers['X-Anycable-Poll-ID'] = this.id
    const body = (commands || []).map((c) => JSON.stringify(c) + '\n').join('')
    const ctl = new AbortController()
    this.inflight.add(ctl)
    let res, text
    try {
      res = await fetch(this.url, { method: 'POST', headers, body, signal: ctl.signal })
      text = await res.text()
    } catch (err) {
      if (ctl.signal.aborted) return 0 // stop() gave up this request
      throw err
    } finally {
      this.inflight.delete(ctl)
    }
    this.statuses.push(res.status)
    const id = res.headers.get('x-anycable-poll-id')
    if (id && !this.id) this.id = id
    for (const line of text.split('\n')) {
      if (line.trim() !== '') this.messages.push(JSON.parse(line))
    }
    if (res.status === 401) {
      this.ended = 401
      this.running = false
    } else if (res.status !== 200) {
      throw new Error('long poll: HTTP ' + res.status + ' ' + text)
    }
    return res.status
  }

  // connect opens the session (with optional commands) and starts polling.
  async connect (commands) {
    const status = await this.request(commands)
    if (status === 200) this.loop()
    return status
  }

  loop () {
    this.running = true
    const next = () => {
      if (!this.running) return
      this.request([]).then(next, (err) => { this.error = err; this.running = false })
    }
    next()
  }

  // send delivers commands now (a request of its own; the held poll is
  // answered and the loop polls again).
  send (...commands) { return this.request(commands) }

  // stop ends polling and abandons the request in flight (its connection
  // closes, as when a browser tab goes away).
  stop () {
    this.running = false
    for (const ctl of this.inflight) ctl.abort()
  }

  take (pred, ms, what) { return this.messages.take(pred, ms, what) }
}

module.exports = { LongPollClient }
