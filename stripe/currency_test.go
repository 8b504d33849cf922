package stripe

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

type currencyCase struct {
	currency string
	amount   int64
	want     float64
}

// checkCurrencyClass checks Decimals and MajorUnits for one class of
// Stripe's decimal rules.
func checkCurrencyClass(t *testing.T, digits int, cases []currencyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.currency, tc.amount), func(t *testing.T) {
			d, known := Decimals(tc.currency)
			if d != digits || !known {
				t.Errorf("Decimals(%q) = %d, %t; want %d, true", tc.currency, d, known, digits)
			}
			if got := MajorUnits(tc.amount, tc.currency); got != tc.want {
				t.Errorf("MajorUnits(%d, %q) = %v; want %v", tc.amount, tc.currency, got, tc.want)
			}
		})
	}
}

func TestMajorUnitsZeroDecimal(t *testing.T) {
	checkCurrencyClass(t, 0, []currencyCase{
		{"jpy", 5000, 5000},
		{"krw", 5000, 5000},
		{"vnd", 5000, 5000},
		{"bif", 1, 1},
		{"clp", 123456789, 123456789},
		{"djf", 7, 7},
		{"gnf", 10000, 10000},
		{"kmf", 250, 250},
		{"mga", 99, 99},
		{"pyg", 1000000, 1000000},
		{"rwf", 42, 42},
		{"vuv", 3, 3},
		{"xaf", 600, 600},
		{"xof", 600, 600},
		{"xpf", 120, 120},
		{"jpy", 0, 0},
		{"jpy", -5000, -5000},
	})
}

func TestMajorUnitsThreeDecimal(t *testing.T) {
	checkCurrencyClass(t, 3, []currencyCase{
		{"bhd", 1234, 1.234},
		{"jod", 1234, 1.234},
		{"kwd", 1234, 1.234},
		{"omr", 1234, 1.234},
		{"tnd", 1234, 1.234},
		{"kwd", 10500, 10.5},
		{"kwd", 1, 0.001},
		{"kwd", -1234, -1.234},
	})
}

// ISK and UGX are zero-decimal for Stripe, but the API sends them with two
// decimals that are always 00.
func TestMajorUnitsISKAndUGX(t *testing.T) {
	checkCurrencyClass(t, 2, []currencyCase{
		{"isk", 500, 5},
		{"ugx", 500, 5},
		{"isk", 123400, 1234},
		{"ugx", -500, -5},
	})
}

// HUF and TWD are zero-decimal only for payouts; the API amounts have two.
func TestMajorUnitsHUFAndTWD(t *testing.T) {
	checkCurrencyClass(t, 2, []currencyCase{
		{"huf", 1234, 12.34},
		{"twd", 1234, 12.34},
		{"huf", 100, 1},
		{"twd", -1234, -12.34},
	})
}

func TestMajorUnitsTwoDecimal(t *testing.T) {
	checkCurrencyClass(t, 2, []currencyCase{
		{"usd", 1234, 12.34},
		{"eur", 1234, 12.34},
		{"gbp", 999, 9.99},
		{"usd", 1, 0.01},
		{"usd", 0, 0},
		{"usd", -2550, -25.5},
		{"aud", 100000, 1000},
		{"zmw", 5, 0.05},
	})
}

func TestMajorUnitsUpperCase(t *testing.T) {
	checkCurrencyClass(t, 0, []currencyCase{{"JPY", 5000, 5000}, {"Krw", 5000, 5000}})
	checkCurrencyClass(t, 3, []currencyCase{{"KWD", 1234, 1.234}, {"Bhd", 1234, 1.234}})
	checkCurrencyClass(t, 2, []currencyCase{{"USD", 1234, 12.34}, {"ISK", 500, 5}, {"HUF", 1234, 12.34}})
}

func TestMajorUnitsUnknownCurrency(t *testing.T) {
	for _, c := range []string{"xyz", "XYZ", "", "usdollar"} {
		d, known := Decimals(c)
		if d != 2 || known {
			t.Errorf("Decimals(%q) = %d, %t; want 2, false", c, d, known)
		}
		if got := MajorUnits(1234, c); got != 12.34 {
			t.Errorf("MajorUnits(1234, %q) = %v; want 12.34", c, got)
		}
		if got := MajorUnits(-1234, c); got != -12.34 {
			t.Errorf("MajorUnits(-1234, %q) = %v; want -12.34", c, got)
		}
	}
}

// exactDecimal writes amount/10^digits as an exact decimal string.
func exactDecimal(amount int64, digits int) string {
	if digits == 0 {
		return strconv.FormatInt(amount, 10)
	}
	sign := ""
	u := uint64(amount)
	if amount < 0 {
		sign = "-"
		u = -u
	}
	p := uint64(1)
	for range digits {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, u/p, digits, u%p)
}

func TestExactDecimal(t *testing.T) {
	// The reference used below must itself be right.
	for _, tc := range []struct {
		amount int64
		digits int
		want   string
	}{
		{1234, 2, "12.34"},
		{5, 2, "0.05"},
		{-5, 2, "-0.05"},
		{-1234, 3, "-1.234"},
		{1, 3, "0.001"},
		{5000, 0, "5000"},
		{-5000, 0, "-5000"},
	} {
		if got := exactDecimal(tc.amount, tc.digits); got != tc.want {
			t.Errorf("exactDecimal(%d, %d) = %q; want %q", tc.amount, tc.digits, got, tc.want)
		}
	}
}

// MajorUnits must give the float nearest to the exact decimal, which is what
// ParseFloat gives for the decimal's text, for every amount below 2^53.
func TestMajorUnitsExact(t *testing.T) {
	const limit = int64(1) << 53
	var amounts []int64
	for a := int64(0); a < 20000; a++ {
		amounts = append(amounts, a)
	}
	for a := int64(1); a < limit; a = a*3 + 7 {
		amounts = append(amounts, a, a+1, a-1)
	}
	for d := int64(0); d < 2000; d++ {
		amounts = append(amounts, limit-1-d, limit/2+d, limit/10+d, 1e15+d, 123456789012345+d*997)
	}
	amounts = append(amounts, limit) // exactly representable, so still exact

	currencies := map[int]string{0: "jpy", 2: "usd", 3: "kwd"}
	n := 0
	for digits, cur := range currencies {
		for _, a := range amounts {
			for _, amount := range []int64{a, -a} {
				text := exactDecimal(amount, digits)
				want, err := strconv.ParseFloat(text, 64)
				if err != nil {
					t.Fatalf("ParseFloat(%q): %v", text, err)
				}
				if got := MajorUnits(amount, cur); got != want {
					t.Errorf("MajorUnits(%d, %q) = %v; want %v (%s)", amount, cur, got, want, text)
					n++
					if n > 20 {
						t.Fatal("too many failures")
					}
				}
			}
		}
	}
	// The same holds for the special cases and in upper case.
	for _, cur := range []string{"ISK", "ugx", "HUF", "twd", "xyz", "BHD", "vnd"} {
		digits, _ := Decimals(cur)
		for _, a := range amounts[len(amounts)-500:] {
			want, _ := strconv.ParseFloat(exactDecimal(a, digits), 64)
			if got := MajorUnits(a, cur); got != want {
				t.Fatalf("MajorUnits(%d, %q) = %v; want %v", a, cur, got, want)
			}
		}
	}
}

// Every code in the table is a lower-case three-letter code, and the
// classes do not overlap in a way that changes a listed exception.
func TestCurrencyTable(t *testing.T) {
	for c, d := range currencyDigits {
		if len(c) != 3 || strings.ToLower(c) != c {
			t.Errorf("currency %q is not a lower-case three-letter code", c)
		}
		if d != 0 && d != 2 && d != 3 {
			t.Errorf("currency %q has %d digits", c, d)
		}
	}
	for c, want := range map[string]int{
		"jpy": 0, "krw": 0, "vnd": 0, "clp": 0,
		"bhd": 3, "jod": 3, "kwd": 3, "omr": 3, "tnd": 3,
		"isk": 2, "ugx": 2, "huf": 2, "twd": 2, "usd": 2, "eur": 2,
	} {
		if got := currencyDigits[c]; got != want {
			t.Errorf("currencyDigits[%q] = %d; want %d", c, got, want)
		}
	}
}
