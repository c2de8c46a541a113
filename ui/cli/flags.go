package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

// usageError is a command line that cannot be read, in its own words:
// what is wrong with what was typed and how to write it. It speaks for
// itself through words.Sentence, as every error a person reads does, and
// a command exits 2 on it, as GNU tools do.
type usageError struct{ words string }

func (e *usageError) Error() string    { return "command line: " + e.words }
func (e *usageError) Sentence() string { return e.words }

// mistake is a usageError of a sentence.
func mistake(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// unknown is the one line for a word that names nothing: an unknown
// command, option or app, with the nearest of names when one is near, as
// `unknown command "lst" (did you mean "list"?)`, else the help to see.
func unknown(what, word string, names []string, help string) error {
	if near := nearest(word, names); near != "" {
		return &usageError{fmt.Sprintf("unknown %s %q (did you mean %q?)", what, word, near)}
	}
	return &usageError{fmt.Sprintf("unknown %s %q (see `%s`)", what, word, help)}
}

// errHelp means the command line asked for help, and it was printed.
var errHelp = errors.New("help was asked for")

// usage ends a command whose command line could not be read: 0 once help
// was printed, else the mistake's sentence and exit code 2.
func usage(env instance.Env, err error) int {
	if errors.Is(err, errHelp) {
		return 0
	}
	env.Fail(err)
	return 2
}

// option is one option of a command.
type option struct {
	name string // without the dashes
	arg  string // the value's name in help ("ID"); "" for a switch
	help string // a sentence
	set  func(string) error
	on   *bool // a switch's value
}

// flags reads one command's command line the GNU way: options anywhere
// before "--", written --name VALUE, --name=VALUE (or with one dash, as
// Go's flag package took them), and -h or --help for the command's help.
// Values are read through fetch.Pasted, so that quotes and blanks that
// come with a paste do no harm.
type flags struct {
	name     string // the command
	operands string // what follows the options in the usage line
	about    string // what the command does, in sentences
	opts     []*option
	out      io.Writer // where help goes
}

func newFlags(env instance.Env, name, operands, about string) *flags {
	return &flags{name: name, operands: operands, about: about, out: env.Stdout}
}

// bool declares a switch.
func (f *flags) bool(name, help string) *bool {
	on := new(bool)
	f.opts = append(f.opts, &option{name: name, help: help, on: on})
	return on
}

// string declares an option with a value; the last one given counts.
func (f *flags) string(name, arg, help string) *string {
	v := new(string)
	f.value(name, arg, help, func(s string) error { *v = s; return nil })
	return v
}

// list declares an option that may be given more than once.
func (f *flags) list(name, arg, help string) *[]string {
	v := new([]string)
	f.value(name, arg, help, func(s string) error { *v = append(*v, s); return nil })
	return v
}

// value declares an option whose value set reads; set's error is a
// usageError that quotes the value.
func (f *flags) value(name, arg, help string, set func(string) error) {
	f.opts = append(f.opts, &option{name: name, arg: arg, help: help, set: set})
}

// lookup is the option of name, or nil.
func (f *flags) lookup(name string) *option {
	for _, o := range f.opts {
		if o.name == name {
			return o
		}
	}
	return nil
}

// parse reads args, the words after the command's name, and returns the
// operands. After -h or --help it prints the command's help and returns
// errHelp.
func (f *flags) parse(args []string) ([]string, error) {
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(operands, args[i+1:]...), nil
		case a == "-h" || a == "--help" || a == "-help":
			f.help()
			return nil, errHelp
		case len(a) < 2 || a[0] != '-':
			operands = append(operands, a)
			continue
		}
		used, err := f.option(a, args[i+1:])
		if err != nil {
			return nil, err
		}
		i += used
	}
	return operands, nil
}

// option reads the option a, taking its value from rest when it is not
// written --name=VALUE; it returns how many words of rest it took.
func (f *flags) option(a string, rest []string) (int, error) {
	name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
	o := f.lookup(name)
	if o == nil {
		return 0, unknown("option", "--"+name, f.names(), "modelfetch "+f.name+" --help")
	}
	switch {
	case o.on != nil && inline:
		return 0, mistake("The option --%s takes no value; write --%s alone.", name, name)
	case o.on != nil:
		*o.on = true
		return 0, nil
	case !inline && len(rest) > 0:
		value = rest[0]
	}
	if value = fetch.Pasted(value); value == "" {
		return 0, mistake("The option --%s needs a value: write --%s %s.", name, name, o.arg)
	}
	if inline {
		return 0, o.set(value)
	}
	return 1, o.set(value)
}

// names are the options as they are written.
func (f *flags) names() []string {
	names := []string{"--help"}
	for _, o := range f.opts {
		names = append(names, "--"+o.name)
	}
	return names
}

// help prints the command's help: its usage line, what it does, and its
// options, as GNU tools print theirs.
func (f *flags) help() {
	fmt.Fprintf(f.out, "Usage: modelfetch %s", f.name)
	if len(f.opts) > 0 {
		fmt.Fprint(f.out, " [OPTION]...")
	}
	if f.operands != "" {
		fmt.Fprint(f.out, " "+f.operands)
	}
	fmt.Fprintf(f.out, "\n%s\n\nOptions:\n", wrap(f.about, 0, lineWidth))
	rows := make([][2]string, 0, len(f.opts)+1)
	for _, o := range f.opts {
		left := "      --" + o.name
		if o.arg != "" {
			left += " " + o.arg
		}
		rows = append(rows, [2]string{left, o.help})
	}
	rows = append(rows, [2]string{"  -h, --help", "Show this help."})
	fmt.Fprint(f.out, table(rows))
}

// lineWidth is the width help is wrapped to, as GNU tools wrap theirs.
const lineWidth = 79

// table lays out rows of a name and its description, the descriptions in
// one column wrapped to lineWidth; a name too long for the column has its
// description on the next line.
func table(rows [][2]string) string {
	const most = 30 // the widest the names' column gets
	col := 0
	for _, r := range rows {
		if n := len(r[0]) + 2; n <= most {
			col = max(col, n)
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r[0])
		if len(r[0])+2 > col {
			b.WriteString("\n" + strings.Repeat(" ", col))
		} else {
			b.WriteString(strings.Repeat(" ", col-len(r[0])))
		}
		b.WriteString(wrap(r[1], col, lineWidth) + "\n")
	}
	return b.String()
}

// wrap fills text into lines of at most width columns, each after the
// first indented by indent spaces. Paragraphs (blank lines) are kept, and
// a usage line (one that starts "Usage:") keeps a line of its own.
func wrap(text string, indent, width int) string {
	var b strings.Builder
	for i, para := range strings.Split(text, "\n\n") {
		if i > 0 {
			b.WriteString("\n\n" + strings.Repeat(" ", indent))
		}
		if first, rest, ok := strings.Cut(para, "\n"); ok && strings.HasPrefix(first, "Usage:") {
			b.WriteString(first + "\n" + strings.Repeat(" ", indent))
			para = rest
		}
		col := indent
		for j, w := range strings.Fields(para) {
			switch {
			case j == 0:
			case col+1+len([]rune(w)) > width:
				b.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			default:
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w)
			col += len([]rune(w))
		}
	}
	return b.String()
}

// nearest is the one of names that word was most likely meant to be: the
// only one it begins, else the closest within two edits; "" when none.
func nearest(word string, names []string) string {
	var prefixed []string
	for _, n := range names {
		if strings.HasPrefix(n, word) {
			prefixed = append(prefixed, n)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	best, bestD := "", 3
	for _, n := range names {
		if d := distance(word, n); d < bestD && d < len([]rune(word)) {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the edit distance of a and b (insertions, deletions,
// substitutions and swaps of neighbours, each one edit).
func distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
