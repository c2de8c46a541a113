package hf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// whoAmITimeout bounds the question: a person waits for its answer in a
// dialog.
const whoAmITimeout = 15 * time.Second

// WhoAmI asks the Hub whom the client's token belongs to, and returns the
// account's name (GET /api/whoami-v2): a token is checked when a person
// saves it, not when a download first needs it. Without a token it asks
// nothing and returns "". It takes at most 15 seconds. Its errors are
// Sayers: a refused token names where it came from (*Error,
// KindTokenRefused), an unreachable Hub is KindOffline, and any other
// answer is a *WhoAmIError.
func (c *Client) WhoAmI(ctx context.Context) (string, error) {
	if !c.token.Set() {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, whoAmITimeout)
	defer cancel()
	var out struct {
		Name string `json:"name"`
	}
	_, err := c.call(ctx, request{url: c.Endpoint() + "/api/whoami-v2"}, Ref{}, func(dec *json.Decoder) error { return dec.Decode(&out) })
	var e *Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return "", &WhoAmIError{Err: err}
	case errors.As(err, &e) && (e.Kind == KindTokenRefused || e.Kind == KindOffline):
		return "", err
	case errors.As(err, &e):
		return "", &WhoAmIError{Status: e.Status, Offline: e.Kind == KindOfflineMode, Err: err}
	case err != nil:
		return "", err // the caller's context ended
	case out.Name == "":
		return "", &WhoAmIError{Err: errors.New("no name in the answer")}
	}
	return out.Name, nil
}

// WhoAmIError is a question about a token that the Hub did not answer as
// it does: an error status, an answer without a name, no answer in time,
// or HF_HUB_OFFLINE set.
type WhoAmIError struct {
	Status  int  // the Hub's status, 0 for none
	Offline bool // HF_HUB_OFFLINE is set: the Hub was not asked
	Err     error
}

func (e *WhoAmIError) Error() string {
	return fmt.Sprintf("hub whoami: status %d: %v", e.Status, e.Err)
}

func (e *WhoAmIError) Unwrap() error { return e.Err }

// Sentence says that the token could not be checked, and what to do.
func (e *WhoAmIError) Sentence() string {
	switch {
	case e.Offline:
		return "HF_HUB_OFFLINE is set, so the token cannot be checked with the Hugging Face Hub; unset it, or save the token with hf auth login."
	case e.Status != 0:
		return fmt.Sprintf("The Hub answered %d %s when asked whose token this is; try again later.", e.Status, http.StatusText(e.Status))
	}
	return "The Hub did not say whose token this is; try again later, or check HF_ENDPOINT if it is set."
}
