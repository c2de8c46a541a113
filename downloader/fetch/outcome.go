package fetch

// Outcome says what Ensure did.
type Outcome string

// The outcomes of Ensure.
const (
	OutcomeCreated  Outcome = "created"  // a new fetch
	OutcomeJoined   Outcome = "joined"   // an active fetch of the same files
	OutcomeResumed  Outcome = "resumed"  // a paused fetch of the same files, now resumed
	OutcomeComplete Outcome = "complete" // a succeeded fetch of the same files, all still there
	OutcomeRetried  Outcome = "retried"  // a failed fetch of the same files, retried from its partial data
	OutcomeConflict Outcome = "conflict" // the same files asked with another digest or name: see ConflictError
	OutcomeReplaced Outcome = "replaced" // a conflict resolved by Options.Replace
	// OutcomeChecking: a succeeded fetch asked for with a SHA-256 its
	// files were not known by: they are checked against it, with no
	// download; one that does not match fails as a *ConflictError, kept.
	OutcomeChecking Outcome = "checking"
)
