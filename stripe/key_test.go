package stripe

import (
	"strings"
	"testing"
)

func TestCheckKeyAccepts(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want KeyKind
	}{
		{"sk_test_51AbCdEfGh", SecretKey},
		{"sk_live_51AbCdEfGh", SecretKey},
		{"rk_test_51AbCdEfGh", RestrictedKey},
		{"rk_live_51AbCdEfGh", RestrictedKey},
	} {
		got, err := CheckKey(tc.key)
		if err != nil {
			t.Errorf("CheckKey(%q): %v", tc.key, err)
			continue
		}
		if got != tc.want {
			t.Errorf("CheckKey(%q) = %v; want %v", tc.key, got, tc.want)
		}
	}
}

func TestCheckKeyRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  string
		// want are substrings the error must contain.
		want []string
	}{
		{"empty", "", []string{"empty"}},
		{"publishable test", "pk_test_51SecretLookingPart", []string{"publishable", "rk_"}},
		{"publishable live", "pk_live_51SecretLookingPart", []string{"publishable", "rk_"}},
		{"space inside", "sk_test_51Secret LookingPart", []string{"white space"}},
		{"leading space", " sk_test_51SecretLookingPart", []string{"white space"}},
		{"trailing newline", "rk_test_51SecretLookingPart\n", []string{"white space"}},
		{"tab", "rk_test_51Secret\tLookingPart", []string{"white space"}},
		{"carriage return", "rk_test_51SecretLookingPart\r", []string{"white space"}},
		{"unknown prefix", "xk_test_51SecretLookingPart", []string{"rk_", "sk_"}},
		{"upper case", "SK_TEST_51SecretLookingPart", []string{"rk_"}},
		{"webhook secret", "whsec_51SecretLookingPart", []string{"rk_"}},
		{"no underscore", "sk51SecretLookingPart", []string{"rk_"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckKey(tc.key)
			if err == nil {
				t.Fatalf("CheckKey(%q) accepted the key", tc.key)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("CheckKey(%q) = %q; want it to mention %q", tc.key, msg, w)
				}
			}
			if secret := strings.TrimSpace(tc.key); secret != "" && strings.Contains(msg, secret) {
				t.Errorf("CheckKey error %q contains the key", msg)
			}
			if strings.Contains(msg, "SecretLookingPart") || strings.Contains(msg, "LookingPart") {
				t.Errorf("CheckKey error %q contains part of the key", msg)
			}
		})
	}
}

func TestNewRejectsBadKeyWithoutLeakingIt(t *testing.T) {
	const key = "pk_live_51DoNotLeakThis"
	_, err := New(Config{Key: key, URL: "https://api.stripe.com", RateLimit: 1})
	if err == nil {
		t.Fatal("New accepted a publishable key")
	}
	if strings.Contains(err.Error(), "DoNotLeakThis") {
		t.Errorf("New error %q contains the key", err)
	}
	if !strings.Contains(err.Error(), "rk_") {
		t.Errorf("New error %q does not point to restricted keys (rk_)", err)
	}
}
