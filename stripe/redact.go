package stripe

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// secretRun is how many characters of the key's secret, in a row, make a
// text hold the key. Stripe itself shows a key's last four characters (in
// the Dashboard, and in its 401 message), so four are not secret; eight
// random letters and digits are too many for ordinary text, request IDs
// among them, to hold by chance, and a cut that leaves fewer shows little.
const secretRun = 8

// maxUnescapes bounds how many layers of escaping are undone. An honest
// text needs two or three (a JSON string quoting a URL-encoded one, say);
// one nested deeper is withheld rather than decoded at length.
const maxUnescapes = 8

// keyFinder finds the secret part of an API key in texts, however they
// escape, split or case it.
type keyFinder struct {
	// runs holds every secretRun characters in a row of the secret, in
	// canonical form; run is their length, shorter only for a secret
	// shorter than secretRun.
	runs map[string]bool
	run  int
}

func newKeyFinder(key string) keyFinder {
	secret := canonical(secretOf(key))
	f := keyFinder{runs: map[string]bool{}, run: min(secretRun, len(secret))}
	for i := 0; f.run > 0 && i+f.run <= len(secret); i++ {
		f.runs[secret[i:i+f.run]] = true
	}
	return f
}

// secretOf is key without its prefix (rk_, sk_, then live_ or test_),
// which every key of its kind shares.
func secretOf(key string) string {
	for _, p := range []string{"rk_", "sk_"} {
		if s, ok := strings.CutPrefix(key, p); ok {
			key = s
			break
		}
	}
	for _, p := range []string{"live_", "test_"} {
		if s, ok := strings.CutPrefix(key, p); ok {
			return s
		}
	}
	return key
}

// in reports whether s holds a run of the secret as it is, or once any
// number of its escapes (JSON, URL, HTML, Go) are undone, in any case, and
// with anything but letters and digits taken out, which undoes a key split
// by white space or quotes. Each layer of escaping is looked at, not only
// the last, so that undoing one cannot hide what it showed.
func (f keyFinder) in(s string) bool {
	if f.run == 0 {
		return false
	}
	for range maxUnescapes {
		if f.inPlain(s) {
			return true
		}
		next := unescape(s)
		if next == s {
			return false
		}
		s = next
	}
	return true
}

func (f keyFinder) inPlain(s string) bool {
	c := canonical(s)
	for i := 0; i+f.run <= len(c); i++ {
		if f.runs[c[i:i+f.run]] {
			return true
		}
	}
	return false
}

// withhold is s, or when s holds the key, a fixed text that names field.
func (f keyFinder) withhold(field, s string) string {
	if f.in(s) {
		return withheld(field)
	}
	return s
}

// withheld is what stands for a field that held the key.
func withheld(field string) string {
	return fmt.Sprintf("[%s withheld: it held the API key]", field)
}

// canonical is s in lower case with only its ASCII letters and digits.
func canonical(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unescape undoes one layer of the escapes a server, proxy or encoder may
// have put in s: %XX, JSON's and Go's backslash escapes (\uXXXX, \u{X},
// \UXXXXXXXX, \xXX, \n and the like) and HTML's character references
// (&#N;, &#xH;, &amp;). Anything else, malformed escapes included, is kept.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if r, n := escapeAt(s[i:]); n > 0 {
			if r < 0 {
				b.WriteByte(byte(-r - 1))
			} else {
				b.WriteRune(r)
			}
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// escapeAt decodes the escape s starts with and says how long it is, or 0
// if s does not start with one. A single byte (from %XX or \xXX, which may
// be part of a UTF-8 sequence) comes back as -1-byte.
func escapeAt(s string) (r rune, n int) {
	switch {
	case strings.HasPrefix(s, "%"):
		if v, ok := hexValue(s[1:], 2); ok {
			return -1 - v, 3
		}
	case strings.HasPrefix(s, `\u{`):
		if end := strings.IndexByte(s, '}'); end > 3 && end <= 9 {
			if v, ok := hexValue(s[3:end], end-3); ok {
				return validRune(v), end + 1
			}
		}
	case strings.HasPrefix(s, `\u`):
		if v, ok := hexValue(s[2:], 4); ok {
			return validRune(v), 6
		}
	case strings.HasPrefix(s, `\U`):
		if v, ok := hexValue(s[2:], 8); ok {
			return validRune(v), 10
		}
	case strings.HasPrefix(s, `\x`):
		if v, ok := hexValue(s[2:], 2); ok {
			return -1 - v, 4
		}
	case strings.HasPrefix(s, `\`) && len(s) > 1:
		if i := strings.IndexByte(`"\/'bfnrt`, s[1]); i >= 0 {
			return rune("\"\\/'\b\f\n\r\t"[i]), 2
		}
	case strings.HasPrefix(s, "&amp;"):
		return '&', 5
	case strings.HasPrefix(s, "&#x"), strings.HasPrefix(s, "&#X"):
		if end := strings.IndexByte(s, ';'); end > 3 && end <= 11 {
			if v, ok := hexValue(s[3:end], end-3); ok {
				return validRune(v), end + 1
			}
		}
	case strings.HasPrefix(s, "&#"):
		if end := strings.IndexByte(s, ';'); end > 2 && end <= 10 {
			if v, err := strconv.ParseUint(s[2:end], 10, 32); err == nil {
				return validRune(rune(v)), end + 1
			}
		}
	}
	return 0, 0
}

// hexValue reads n hexadecimal digits from the start of s.
func hexValue(s string, n int) (rune, bool) {
	if len(s) < n {
		return 0, false
	}
	v, err := strconv.ParseUint(s[:n], 16, 32)
	return rune(v), err == nil
}

func validRune(r rune) rune {
	if !utf8.ValidRune(r) {
		return utf8.RuneError
	}
	return r
}
