package downloader

// MakeLinks makes each link a symlink to dest by a relative target, as the
// engine does once a file's verified bytes are at dest (it is the engine's
// own rule, for layouts that make their links again, as the Hub cache's
// Finish does).
func MakeLinks(dest string, links []string) error { return makeLinks(dest, links) }
