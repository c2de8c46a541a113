package hf

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/words"
)

func TestParse(t *testing.T) {
	mirror := Options{Endpoint: "https://hf-mirror.example:8443"}
	tests := []struct {
		in   string
		o    Options
		want Ref
	}{
		{"hf.co/org/Repo-GGUF", Options{}, Ref{Repo: "org/Repo-GGUF", Type: TypeModel, PickQuant: true}},
		{"hf.co/org/Repo-GGUF:*", Options{}, Ref{Repo: "org/Repo-GGUF", Type: TypeModel}},
		{"hf.co/org/Repo-GGUF", Options{Include: []string{"*"}}, Ref{Repo: "org/Repo-GGUF", Type: TypeModel, Include: []string{"*"}}},
		{"hf.co/org/Repo-GGUF:Q4_K_M", Options{}, Ref{Repo: "org/Repo-GGUF", Type: TypeModel, Quant: "Q4_K_M"}},
		{"hf.co/org/Repo-GGUF:q4_k_m", Options{}, Ref{Repo: "org/Repo-GGUF", Type: TypeModel, Quant: "Q4_K_M"}},
		{"huggingface.co/org/r:IQ2_XS", Options{}, Ref{Repo: "org/r", Type: TypeModel, Quant: "IQ2_XS"}},
		{"org/r:Q8_0", Options{}, Ref{Repo: "org/r", Type: TypeModel, Quant: "Q8_0"}},
		{"  org/r  ", Options{}, Ref{Repo: "org/r", Type: TypeModel, PickQuant: true}},
		{"hf://org/r", Options{}, Ref{Repo: "org/r", Type: TypeModel}},
		{"hf://datasets/org/d@v2/data/train.parquet", Options{}, Ref{Repo: "org/d", Type: TypeDataset, Revision: "v2", Path: "data/train.parquet"}},
		{"hf://org/r@refs%2Fpr%2F1/sub", Options{}, Ref{Repo: "org/r", Type: TypeModel, Revision: "refs/pr/1", Path: "sub"}},
		{"hf://org/r/*.gguf", Options{}, Ref{Repo: "org/r", Type: TypeModel, Include: []string{"*.gguf"}}},
		{"https://huggingface.co/org/r", Options{}, Ref{Repo: "org/r", Type: TypeModel}},
		{"https://huggingface.co/org/r/", Options{}, Ref{Repo: "org/r", Type: TypeModel}},
		{"https://huggingface.co/org/r/blob/main/a/b.gguf", Options{}, Ref{Repo: "org/r", Type: TypeModel, Revision: "main", Path: "a/b.gguf"}},
		{"https://huggingface.co/org/r/resolve/main/b.gguf?download=true", Options{}, Ref{Repo: "org/r", Type: TypeModel, Revision: "main", Path: "b.gguf"}},
		{"https://huggingface.co/org/r/resolve/refs%2Fpr%2F3/b.gguf", Options{}, Ref{Repo: "org/r", Type: TypeModel, Revision: "refs/pr/3", Path: "b.gguf"}},
		{"https://huggingface.co/org/r/tree/v1", Options{}, Ref{Repo: "org/r", Type: TypeModel, Revision: "v1"}},
		{"https://huggingface.co/org/r/tree/main/Q4_K_M", Options{}, Ref{Repo: "org/r", Type: TypeModel, Revision: "main", Path: "Q4_K_M"}},
		{"huggingface.co/org/r/resolve/main/b.gguf", Options{}, Ref{Repo: "org/r", Type: TypeModel, Revision: "main", Path: "b.gguf"}},
		{"hf.co/datasets/org/d", Options{}, Ref{Repo: "org/d", Type: TypeDataset}},
		{"https://hf.co/datasets/org/d/blob/main/x.csv", Options{}, Ref{Repo: "org/d", Type: TypeDataset, Revision: "main", Path: "x.csv"}},
		{"https://hf-mirror.example:8443/org/r/resolve/main/b.gguf", mirror, Ref{Repo: "org/r", Type: TypeModel, Revision: "main", Path: "b.gguf"}},
		{"hf.co/org/r", Options{Revision: "v1", Include: []string{"*.json"}, Exclude: []string{"onnx/"}},
			Ref{Repo: "org/r", Type: TypeModel, Revision: "v1", Include: []string{"*.json"}, Exclude: []string{"onnx/"}}},
		{"hf://org/r@v1", Options{Revision: "v1"}, Ref{Repo: "org/r", Type: TypeModel, Revision: "v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in, tt.o)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseNotHub(t *testing.T) {
	for _, in := range []string{
		"https://example.org/model.gguf",
		"https://hf-mirror.example:8443/org/r", // a mirror only counts when it is the endpoint
		"gemma-2b",
		"ftp://huggingface.co/org/r",
		"/home/me/model.gguf",
		"./org/r",
		"",
	} {
		if _, err := Parse(in, Options{}); !errors.Is(err, ErrNotHub) {
			t.Errorf("Parse(%q) = %v, want ErrNotHub", in, err)
		}
	}
}

func TestParseBadName(t *testing.T) {
	for _, in := range []string{
		"hf.co/org",
		"hf.co/org/r:Q4 K",
		"hf.co/org/a--b",
		"hf://org",
		"hf://org/r@",
		"hf://org/r/../x",
		"https://huggingface.co/models",
		"https://huggingface.co/org/r/discussions/3",
		"https://huggingface.co/org/r/blob/main",
		"https://huggingface.co/spaces/org/app",
	} {
		_, err := Parse(in, Options{Revision: ""})
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindBadName {
			t.Errorf("Parse(%q) = %v, want an *Error of KindBadName", in, err)
		}
	}
	if _, err := Parse("hf://org/r@v1", Options{Revision: "v2"}); err == nil {
		t.Error("two different revisions: got no error")
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*.gguf", "a.gguf", true},
		{"*.gguf", "dir/a.gguf", true}, // '*' crosses '/', as in fnmatch
		{"*.gguf", "a.gguf.part", false},
		{"*Q4_K_M*", "sub/x-Q4_K_M-00001-of-00002.gguf", true},
		{"*q4_k_m*", "x-Q4_K_M.gguf", false}, // case-sensitive, as hf download on Linux
		{"model-?.bin", "model-1.bin", true},
		{"model-?.bin", "model-10.bin", false},
		{"model-[0-9].bin", "model-7.bin", true},
		{"model-[!0-9].bin", "model-7.bin", false},
		{"model-[!0-9].bin", "model-x.bin", true},
		{"[]x].txt", "].txt", true},
		{"a[b.txt", "a[b.txt", true},
		{"a.b", "axb", false},
		{"onnx/", "onnx/model.onnx", true},
		{"onnx/", "other/onnx", false},
		{"données/*", "données/é.txt", true},
	}
	for _, tt := range tests {
		if got := matchAny([]string{tt.pattern}, tt.name); got != tt.want {
			t.Errorf("matchAny(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
	if !keep("a.json", nil, nil) || keep("a.bin", []string{"*.json"}, nil) || keep("a.json", []string{"*"}, []string{"*.json"}) {
		t.Error("keep: include and exclude are not applied as hf download applies them")
	}
}

func TestQuantOf(t *testing.T) {
	tests := map[string]string{
		"Llama-3.2-1B-Instruct-Q4_K_M.gguf":     "Q4_K_M",
		"qwen2.5-0.5b-instruct-q4_k_m.gguf":     "Q4_K_M",
		"llama-2-7b.Q5_K_S.gguf":                "Q5_K_S",
		"ggml-model-q8_0.gguf":                  "Q8_0",
		"Phi-3-mini-4k-instruct-IQ2_XS.gguf":    "IQ2_XS",
		"model-IQ4_NL.gguf":                     "IQ4_NL",
		"gemma-f16.gguf":                        "F16",
		"gemma-BF16.gguf":                       "BF16",
		"BF16/gemma-BF16-00001-of-00002.gguf":   "BF16",
		"Qwen3-8B-UD-Q4_K_XL.gguf":              "UD-Q4_K_XL",
		"bitnet-TQ1_0.gguf":                     "TQ1_0",
		"gpt-oss-20b-MXFP4.gguf":                "MXFP4",
		"Q4_K_M/Big-Q4_K_M-00002-of-00005.gguf": "Q4_K_M",
		"mmproj-model-f16.gguf":                 "",
		"model.safetensors":                     "",
		"README.md":                             "",
		"Qwen2.5-0.5B.gguf":                     "",
		"whisper-ggml-base.en.bin":              "",
	}
	for name, want := range tests {
		if got := QuantOf(name); got != want {
			t.Errorf("QuantOf(%q) = %q, want %q", name, got, want)
		}
	}
	if !matchQuant("Qwen3-8B-UD-Q4_K_XL.gguf", "Q4_K_XL") || matchQuant("x-Q4_K_M.gguf", "Q4_K") {
		t.Error("matchQuant: UD- prefix or label boundaries wrong")
	}
}

func TestRefString(t *testing.T) {
	r := Ref{Repo: "org/r", Type: TypeDataset, Revision: "refs/pr/1", Path: "a/b"}
	back, err := Parse(r.String(), Options{})
	if err != nil || !reflect.DeepEqual(back, r) {
		t.Errorf("Parse(%q) = %+v, %v; want %+v", r.String(), back, err, r)
	}
}

func TestRefWants(t *testing.T) {
	r := Ref{Path: "sub", Quant: "Q4_K_M", Exclude: []string{"*-00002-*"}}
	for p, want := range map[string]bool{
		"sub/m-Q4_K_M.gguf":                true,
		"sub/m-Q4_K_M-00001-of-00002.gguf": true,
		"sub/m-Q4_K_M-00002-of-00002.gguf": false,
		"subway/m-Q4_K_M.gguf":             false,
		"sub/m-Q8_0.gguf":                  false,
	} {
		if got := r.Wants(p); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestSentenceOfNamesAndOtherErrors(t *testing.T) {
	_, err := Parse("hf.co/org", Options{})
	if s := words.Sentence(err); !strings.Contains(s, `"hf.co/org" is not a Hugging Face name`) || !strings.Contains(s, "ORG/REPO") {
		t.Errorf("bad name: %q", s)
	}
	_, err = Parse("gemma-2b", Options{})
	if s := words.Sentence(err); !strings.Contains(s, "not a Hugging Face name") {
		t.Errorf("not a hub name: %q", s)
	}
	if s := words.Sentence(errors.New("dial tcp: i/o timeout")); strings.Contains(s, "dial") {
		t.Errorf("another error shows Go's text: %q", s)
	}
}
