package transfer

import (
	"slices"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"
)

func TestMinus(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b ledger.Spans
		want ledger.Spans
	}{
		{"nothing taken", ledger.Spans{{From: 0, To: 10}}, nil, ledger.Spans{{From: 0, To: 10}}},
		{"all taken", ledger.Spans{{From: 0, To: 10}}, ledger.Spans{{From: 0, To: 10}}, nil},
		{"the start taken", ledger.Spans{{From: 0, To: 10}}, ledger.Spans{{From: 0, To: 4}}, ledger.Spans{{From: 4, To: 10}}},
		{"a hole taken", ledger.Spans{{From: 0, To: 10}}, ledger.Spans{{From: 3, To: 5}}, ledger.Spans{{From: 0, To: 3}, {From: 5, To: 10}}},
		{"two ranges", ledger.Spans{{From: 0, To: 10}, {From: 20, To: 30}}, ledger.Spans{{From: 5, To: 25}},
			ledger.Spans{{From: 0, To: 5}, {From: 25, To: 30}}},
		{"taken beyond", ledger.Spans{{From: 10, To: 20}}, ledger.Spans{{From: 0, To: 5}, {From: 30, To: 40}}, ledger.Spans{{From: 10, To: 20}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := minus(nil, c.a, c.b); !slices.Equal(got, c.want) {
				t.Errorf("minus(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
			}
		})
	}
}
