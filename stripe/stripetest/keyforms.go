package stripetest

import (
	"fmt"
	"strings"
)

// KeyForm is an API key as a misbehaving server, proxy or mock might quote
// it back.
type KeyForm struct {
	Name string
	Text string
}

// SecretRun is how many characters of a key's secret in a row the client
// takes for the key; KeyForms cuts the key to that many.
const SecretRun = 8

// KeyForms is key in each form the tests make the fake quote it in: as it
// is, in upper case, escaped for JSON, URL-encoded (once, twice, after JSON
// escaping), as HTML character references and Go escapes, split by white
// space, and cut to the start or the end of its secret.
func KeyForms(key string) []KeyForm {
	each := func(format string) string {
		var b strings.Builder
		for _, r := range key {
			fmt.Fprintf(&b, format, r)
		}
		return b.String()
	}
	// The secret follows the last underscore of rk_live_, sk_test_ and
	// the like.
	cut := strings.LastIndexByte(key, '_') + 1
	return []KeyForm{
		{"as it is", key},
		{"upper case", strings.ToUpper(key)},
		{"JSON escape, first letter", fmt.Sprintf(`\u%04x`, key[0]) + key[1:]},
		{"JSON escapes", each(`\u%04x`)},
		{"JSON escapes, upper-case hex", each(`\u%04X`)},
		{"URL-encoded, first letter", fmt.Sprintf("%%%02x", key[0]) + key[1:]},
		{"URL-encoded", each("%%%02X")},
		{"URL-encoded, lower-case hex", each("%%%02x")},
		{"URL-encoded twice", each("%%25%02X")},
		{"JSON escapes, URL-encoded", each("%%5Cu%04x")},
		{"HTML references", each("&#%d;")},
		{"HTML hexadecimal references", each("&#x%x;")},
		{"Go escapes", each(`\x%02x`)},
		{"JS escapes", each(`\u{%x}`)},
		{"split by spaces", splitEvery(key, 3, " ")},
		{"split across lines", splitEvery(key, 5, "\n")},
		{"JSON-escaped line breaks", splitEvery(key, 5, `\n`)},
		{"cut after the start of its secret", key[:cut+SecretRun]},
		{"cut before the end of its secret", key[len(key)-SecretRun:]},
	}
}

func splitEvery(s string, n int, sep string) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}
