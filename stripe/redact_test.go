package stripe

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"

	sdk "github.com/stripe/stripe-go/v85"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

func TestSecretOf(t *testing.T) {
	for key, want := range map[string]string{
		"rk_live_51AbCdEf": "51AbCdEf",
		"sk_test_51AbCdEf": "51AbCdEf",
		"rk_51AbCdEf":      "51AbCdEf",
		"sk_":              "",
		"live_51AbCdEf":    "51AbCdEf",
	} {
		if got := secretOf(key); got != want {
			t.Errorf("secretOf(%q) = %q; want %q", key, got, want)
		}
	}
}

func TestKeyFinder(t *testing.T) {
	f := newKeyFinder(stripetest.Key)
	secret := secretOf(stripetest.Key)
	for _, form := range stripetest.KeyForms(stripetest.Key) {
		if !f.in("error: " + form.Text + ".") {
			t.Errorf("the key %s is not found: %q", form.Name, form.Text)
		}
	}
	nested := fuzzEach(stripetest.Key, "%%%02X")
	for range maxUnescapes {
		nested = strings.ReplaceAll(nested, "%", "%25")
	}
	for _, held := range []string{
		secret[:secretRun],
		secret[len(secret)-secretRun:],
		strings.ToUpper(secret[3 : 3+secretRun]),
		`{"message": "\\\\u0072k_test_` + secret + `"}`,
		"%255Cu0072%255Cu006b" + stripetest.Key[2:],
		"&amp;#114;&amp;#107;" + stripetest.Key[2:],
		"Bearer " + strings.Join(strings.Split(stripetest.Key, ""), `", "`),
		// Escaped deeper than any honest text: withheld unread.
		nested,
	} {
		if !f.in(held) {
			t.Errorf("the key is not found in %q", held)
		}
	}
	for _, clean := range []string{
		"",
		"Invalid API Key provided: rk_test_********************ests",
		"No such balance transaction: 'txn_1Missing'",
		"req_kCeAL5FAly5bkh",
		stripetest.BadRequestBody,
		"https://dashboard.stripe.com/test/logs/req_kCeAL5FAly5bkh?t=1734734555",
		`Couldn't deserialize JSON (response status: 500): invalid character 'u' looking for beginning of value`,
		// Fewer than secretRun characters of the secret, at either end.
		"rk_test_" + secret[:secretRun-1],
		secret[len(secret)-secretRun+1:],
		// Malformed escapes are kept as they are.
		`100% \u00 \x7 &#; &#x; \u{} %zz C:\Users\x \`,
	} {
		if f.in(clean) {
			t.Errorf("the key is found in %q, which does not hold it", clean)
		}
	}
	if newKeyFinder("sk_").in("sk_ anything") {
		t.Error("a key without a secret is found in a text")
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`\u0072\u004B\u{5f}\U0000006c\x69%76%65&#95;&#x35;&amp;`: "rK_live_5&",
		`\"\\\/\'\b\f\n\r\t`:                             "\"\\/'\b\f\n\r\t",
		`%E2%82%AC \u20ac &#8364;`:                       "€ € €",
		`\ud800 &#1114112; \U00110000`:                   "\uFFFD \uFFFD \uFFFD",
		`%2525 \\u0072`:                                  `%25 \u0072`,
		`%G0 %0 \u12 \u{} \u{1234567} \x &#x; &#12a; \q`: `%G0 %0 \u12 \u{} \u{1234567} \x &#x; &#12a; \q`,
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q; want %q", in, got, want)
		}
	}
}

// The fuzz test builds texts that hold the key, or a part of its secret
// long enough to matter, under escapes of every kind, nested up to four
// deep, split, cut and in any case, between arbitrary text; puts each in
// one part of an error; and checks that the part is withheld. Run it with
//
//	go test -run='^$' -fuzz='^FuzzKeyWithheld$' -fuzztime=60s ./stripe/

// fuzzLayers escape a piece of text one way each.
var fuzzLayers = []func(string) string{
	func(s string) string { return s },
	func(s string) string { return fuzzEach(s, "%%%02X") },
	func(s string) string { return fuzzEach(s, "%%%02x") },
	func(s string) string { return fuzzEachRune(s, `\u%04x`) },
	func(s string) string { return fuzzEachRune(s, `\u{%X}`) },
	func(s string) string { return fuzzEachRune(s, `\U%08x`) },
	func(s string) string { return fuzzEach(s, `\x%02x`) },
	func(s string) string { return fuzzEachRune(s, "&#%d;") },
	func(s string) string { return fuzzEachRune(s, "&#x%x;") },
	// JSON's quoting of a string: the escapes in it are escaped.
	func(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) },
	func(s string) string { return strings.ReplaceAll(s, "&", "&amp;") },
}

func fuzzEach(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

func fuzzEachRune(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

// fuzzSeparators are put between characters of the key; none is a letter
// or a digit once unescaped.
var fuzzSeparators = []string{"", "", " ", "\n", `\n`, "%20", `", "`, "-"}

// fuzzFragment is the part of the key that the fuzzer picked with cut: all
// of it, the start of it cut after at least secretRun characters of the
// secret, the end of it, or secretRun characters from the middle.
func fuzzFragment(key string, cut byte) string {
	secret := secretOf(key)
	at := len(key) - len(secret)
	k := int(cut/4) % (len(secret) - secretRun + 1)
	switch cut % 4 {
	case 1:
		return key[:at+secretRun+k]
	case 2:
		return key[len(key)-secretRun-k:]
	case 3:
		return secret[k : k+secretRun]
	}
	return key
}

// fuzzEncode escapes each character of fragment as plan says, taking its
// bytes in turn, over and over: one for the character (whether a letter
// changes case, how many escapes are put over it, up to four, and what
// follows it), then one for each escape, which picks it.
func fuzzEncode(fragment string, plan []byte) string {
	if len(plan) == 0 {
		return fragment
	}
	next := 0
	take := func() byte {
		b := plan[next%len(plan)]
		next++
		return b
	}
	var b strings.Builder
	for i, r := range fragment {
		p := take()
		piece := string(r)
		if p&0x80 != 0 {
			piece = strings.Map(func(r rune) rune {
				if unicode.IsUpper(r) {
					return unicode.ToLower(r)
				}
				return unicode.ToUpper(r)
			}, piece)
		}
		for range 1 + int(p>>5)&3 {
			piece = fuzzLayers[int(take())%len(fuzzLayers)](piece)
		}
		b.WriteString(piece)
		if i < len(fragment)-1 {
			b.WriteString(fuzzSeparators[int(p)&7])
		}
	}
	return b.String()
}

// fuzzFields are the parts of an error the fuzzer can put the text in.
var fuzzFields = []string{"error type", "error code", "error message", "request ID", "error"}

func FuzzKeyWithheld(f *testing.F) {
	c := &APIClient{secret: newKeyFinder(stripetest.Key)}
	// More seeds, one for each kind of escape, are in testdata/fuzz.
	f.Add(byte(2), byte(0), []byte{}, "Invalid API Key provided:", "")
	f.Add(byte(4), byte(1), []byte{0x20, 1, 1}, `{"error": {"message": "`, `"}}`)
	f.Fuzz(func(t *testing.T, field, cut byte, plan []byte, prefix, suffix string) {
		name := fuzzFields[int(field)%len(fuzzFields)]
		// A space keeps the text around from ending an escape that the
		// fragment's first character completes, which would make it
		// another character.
		text := prefix + " " + fuzzEncode(fuzzFragment(stripetest.Key, cut), plan) + " " + suffix

		resp := &response{status: 400, requestID: "req_fuzz"}
		se := &sdk.Error{Type: "invalid_request_error", Code: "some_code", Msg: "Something went wrong."}
		var err error = se
		var got func(*Error) string
		switch name {
		case "error type":
			se.Type, got = sdk.ErrorType(text), func(e *Error) string { return e.Type }
		case "error code":
			se.Code, got = sdk.ErrorCode(text), func(e *Error) string { return e.Code }
		case "error message":
			se.Msg, got = text, func(e *Error) string { return e.Message }
		case "request ID":
			resp.requestID, got = text, func(e *Error) string { return e.RequestID }
		case "error":
			// The text may look like a failure that no retry mends, whose
			// advice comes first.
			err = errors.New(text)
			got = func(e *Error) string { return strings.TrimPrefix(e.Err.Error(), permanentFailure(err)+": ") }
		}
		e := c.newError(EndpointBalance, resp, err)
		if g := got(e); g != withheld(name) {
			t.Fatalf("the %s %q holds the key, but came out as %q", name, text, g)
		}
		lower := strings.ToLower(e.Error())
		secret := strings.ToLower(secretOf(stripetest.Key))
		for i := 0; i+secretRun <= len(secret); i++ {
			if strings.Contains(lower, secret[i:i+secretRun]) {
				t.Fatalf("error %q holds %q of the key", e, secret[i:i+secretRun])
			}
		}
	})
}
