package stripe

import (
	"errors"
	"strings"
)

// KeyKind says what sort of API key a key is.
type KeyKind int

const (
	// SecretKey (sk_...) can do anything on the account.
	SecretKey KeyKind = iota
	// RestrictedKey (rk_...) can do only what its permissions allow.
	RestrictedKey
)

// CheckKey tells a secret key from a restricted one and rejects anything
// else. Its errors never contain the key.
func CheckKey(key string) (KeyKind, error) {
	switch {
	case key == "":
		return 0, errors.New("the Stripe API key is empty")
	case strings.ContainsAny(key, " \t\r\n"):
		return 0, errors.New("the Stripe API key contains white space")
	case strings.HasPrefix(key, "sk_"):
		return SecretKey, nil
	case strings.HasPrefix(key, "rk_"):
		return RestrictedKey, nil
	case strings.HasPrefix(key, "pk_"):
		return 0, errors.New("the Stripe API key is a publishable key (pk_), which cannot read balances: use a restricted key (rk_) with read access to Balance")
	default:
		return 0, errors.New("the Stripe API key does not start with rk_ or sk_: use a restricted key (rk_) with read access to Balance")
	}
}
