package apps

import "strings"

// Keys are the apps a model can be made available to, as the engine's
// requests (fetch.Request.Share) and the command line name them.
func Keys() []string { return []string{"ollama", "lmstudio", "jan", "gpt4all"} }

// names are the apps' names for people, by key.
var names = map[string]string{"ollama": "Ollama", "lmstudio": "LM Studio", "jan": "Jan", "gpt4all": "GPT4All"}

// Key is the key of an app's name as people write it, in any case, with
// or without blanks, '-' or '_': "LM Studio" and "lm-studio" are lmstudio.
func Key(name string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(name))
}

// Name is the app's name for people ("LM Studio"), the key itself for a
// key of no app.
func Name(key string) string {
	if n, ok := names[key]; ok {
		return n
	}
	return key
}
