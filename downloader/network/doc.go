// Package network is what the engine knows about the network beyond one
// request: whether the machine is online, offline or behind a captive
// portal, and metered, by its own view (Monitor: NetworkManager over
// D-Bus, else routes and addresses on Linux; the interfaces' addresses on
// Windows and macOS), never by asking a third party; why a request failed
// (Classify, CheckRedirect, CheckResponse, Judge, which also weighs what
// the failure shows of the server being fetched) and how to say it
// (Sentence); the bounds of the wait for a server that does not answer
// (Bound); the proxy and extra CA of a company network (Configure); what
// a log line or a sentence may show of an address (Redact); and an
// Inhibitor that keeps the computer awake while it downloads (logind,
// SetThreadExecutionState, caffeinate). Per-system code is in files named
// for their system. It has no Fyne in it and holds no state of the
// engine.
//
// The engine uses it so:
//
//   - its client's transport goes through Bound (ConnectTimeout,
//     FirstByteTimeout) and Configure, and its CheckRedirect calls
//     CheckRedirect first;
//   - every response passes CheckResponse before a byte is written;
//   - a failed attempt goes through Judge: Retry backs off, counts and
//     says Sentence(e, delay); Fail fails the record with Sentence(e, 0);
//     Wait waits without counting, saying Sentence(e, 0), until a Status
//     from the Monitor's Changes or the next try;
//   - an address in a sentence or a log line goes through Redact;
//   - Hold and Release follow "some download runs".
package network
