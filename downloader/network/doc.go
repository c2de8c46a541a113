// Package network is what the engine knows about the network beyond one
// request: whether the machine is online, offline or behind a captive
// portal, and metered (Monitor: NetworkManager over D-Bus, else routes
// and addresses, else name lookups); why a request failed (Classify,
// CheckRedirect, CheckResponse, Judge) and how to say it (Sentence); the
// proxy and extra CA of a company network (Configure); and a
// systemd-logind inhibitor that keeps a laptop awake while it downloads
// (Inhibitor). It has no Fyne in it and holds no state of the engine.
//
// The engine uses it so:
//
//   - its client's transport goes through Configure, and its
//     CheckRedirect calls CheckRedirect first;
//   - every response passes CheckResponse before a byte is written;
//   - a failed attempt goes through Judge: Retry backs off, counts and
//     says Sentence(e, delay); Fail fails the record with Sentence(e, 0);
//     Wait waits without counting, saying Sentence(e, 0), until a Status
//     from the Monitor's Changes or the next try;
//   - Hold and Release follow "some download runs".
package network
