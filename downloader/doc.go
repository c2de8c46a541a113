// Package downloader is ModelFetch's engine: the web's Background Fetch API
// for the desktop. A client asks a [Manager] for files by URL; the Manager
// downloads them over several connections, resumes them after a lost
// network, a closed window, kill -9 or a reboot, checks them against their
// digests, and tells the client how it goes until every file is in place
// or the fetch has failed with a reason.
//
// A whole use (the package's Example runs one against a server on
// 127.0.0.1):
//
//	m, err := downloader.New(downloader.DefaultConfig()) // opens and locks the journal
//	go m.Run(ctx)                                        // moves bytes until ctx ends
//	snap, outcome, err := m.Ensure("gemma-2b", requests, fetch.Options{Title: "Gemma 2B"})
//	final, err := m.Wait(ctx, snap.ID, show)             // follows the fetch until it settles
//	paths := final.Paths()                               // the verified files
//	m.Close()                                            // once Run has returned
//
// # Asking and being told
//
// [Manager.Ensure] is the one answer to "is this the same download?": the
// same files asked for again join the fetch already running, resume a
// paused one, retry a failed one from its partial data, or return a
// finished one whose files are still there. What a client asks and is told
// is the vocabulary of package fetch (Request, Options, Snapshot, Event,
// and errors matched with errors.Is and errors.As); package words turns
// any error into the sentence a person reads. [Manager.Wait] and
// [Manager.Subscribe] follow fetches by their events; [Manager.Get] and
// [Manager.Snapshots] are copies that hold no lock.
//
// # What the engine promises
//
// A file appears under its final name only by an atomic rename, once the
// byte ledger covers all of it and its SHA-256 (or git blob id) matches.
// The journal, written atomically, never claims bytes that are not synced
// to disk, so a new process resumes where the old one stopped. An offline
// machine waits; a server that fails is retried with one policy, saying
// so, and then fails the record with a reason.
//
// # Goroutines
//
// [Manager.Run] owns every goroutine the engine starts and returns only
// after they have exited; call [Manager.Close] after it returns. The
// Manager's methods are safe for concurrent use. A [Subscription] that
// falls behind is dropped rather than waited for, so no client can hold
// up a download.
//
// # Layers
//
// The Manager keeps the table of fetches and the journal; below it, the
// transfer of one file (internal/transfer), the byte ledger
// (internal/ledger), the journal's format (internal/journal) and the
// file system (internal/disk) know nothing of it. Above it, package ask
// resolves catalog ids and Hugging Face names into requests, package api
// serves a Manager on a local socket, and package instance keeps one
// engine per user. The window, the command line and the local API are
// clients; this package never imports a UI toolkit. CONTRIBUTING.md, at
// the root of the repository, maps every package.
package downloader
