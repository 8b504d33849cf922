package stripe

import (
	"fmt"
	"regexp"
	"strings"
)

// idPattern is the shape every Stripe object ID has: a lower-case prefix
// naming the object type, an underscore, and alphanumerics.
var idPattern = regexp.MustCompile(`^[a-z]+_[A-Za-z0-9]+$`)

// CheckID reports whether id has the shape of a Stripe object ID, so a typo
// is caught at start-up instead of turning into a 404 on every scrape.
func CheckID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%q is not a Stripe ID: want a prefix, an underscore and letters or digits, like txn_1MiN3gLkdIwHu7ix", id)
	}
	return nil
}

// CheckAccountID reports whether id names a connected account (acct_...).
func CheckAccountID(id string) error {
	if !strings.HasPrefix(id, "acct_") || !idPattern.MatchString(id) {
		return fmt.Errorf("%q is not a connected account ID: want acct_ and letters or digits, like acct_1Nv0FGQ9RKHgCVdK", id)
	}
	return nil
}
