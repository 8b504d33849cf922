package stripe

import (
	"strconv"
	"strings"
	"testing"
)

func TestCheckID(t *testing.T) {
	for _, id := range []string{
		"txn_1MiN3gLkdIwHu7ix",
		"acct_1Connected",
		"txn_1Settled",
		"ch_3Abc",
		"po_1",
		"txn_ABCxyz019",
	} {
		if err := CheckID(id); err != nil {
			t.Errorf("CheckID(%q): %v", id, err)
		}
	}
	for _, id := range []string{
		"",
		"txn_",
		"_1MiN3g",
		"txn1MiN3g",
		"TXN_1MiN3g",
		"txn_1MiN 3g",
		" txn_1MiN3g",
		"txn_1MiN3g\n",
		"txn_1MiN-3g",
		"txn_1MiN3g/../balance",
		"txn_1MiN3g?expand=x",
		"txn__1MiN3g",
		"t1_abc",
		"txn_abc_def",
		"txn_é",
	} {
		err := CheckID(id)
		if err == nil {
			t.Errorf("CheckID(%q) accepted a bad ID", id)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(id)) {
			t.Errorf("CheckID(%q) = %q; want it to name the bad value", id, err)
		}
	}
}

func TestCheckAccountID(t *testing.T) {
	for _, id := range []string{"acct_1Connected", "acct_1032D82eZvKYlo2C", "acct_X"} {
		if err := CheckAccountID(id); err != nil {
			t.Errorf("CheckAccountID(%q): %v", id, err)
		}
	}
	for _, tc := range []struct {
		id   string
		want string
	}{
		{"txn_1MiN3gLkdIwHu7ix", "acct_"},
		{"cus_1Abc", "acct_"},
		{"acc_1Abc", "acct_"},
		{"acct_", "acct_"},
		{"acct_1 Connected", "acct_"},
		{"ACCT_1Connected", "acct_"},
		{"acct_1Conn-ected", "acct_"},
		{"", "acct_"},
	} {
		err := CheckAccountID(tc.id)
		if err == nil {
			t.Errorf("CheckAccountID(%q) accepted a bad ID", tc.id)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(tc.id)) {
			t.Errorf("CheckAccountID(%q) = %q; want it to name the bad value", tc.id, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckAccountID(%q) = %q; want it to mention %q", tc.id, err, tc.want)
		}
	}
}
