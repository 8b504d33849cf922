package stripe

import (
	"math"
	"strings"
)

// currencyDigits maps each currency Stripe supports to the number of decimal
// places its API amounts carry. It follows Stripe's rules, which differ from
// ISO 4217 in places, so it must not be replaced by an ISO table:
//
//   - ISK and UGX are zero-decimal for Stripe, but for backward compatibility
//     the API still sends them as two-decimal amounts whose decimals are
//     always 00 (500 means 5 ISK), so they are listed with two digits.
//   - HUF and TWD are two-decimal amounts in the API (they are zero-decimal
//     only for payouts), so they are listed with two digits too.
//
// See https://docs.stripe.com/currencies.
var currencyDigits = func() map[string]int {
	m := map[string]int{}
	add := func(digits int, codes string) {
		for _, c := range strings.Fields(codes) {
			m[c] = digits
		}
	}
	add(0, "bif clp djf gnf jpy kmf krw mga pyg rwf vnd vuv xaf xof xpf")
	add(3, "bhd jod kwd omr tnd")
	add(2, "isk ugx huf twd")
	add(2, `usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd
		bob brl bsd bwp byn bzd cad cdf chf cny cop crc cve czk dkk dop dzd egp
		etb eur fjd fkp gbp gel gip gmd gtq gyd hkd hnl htg idr ils inr jmd kes
		kgs khr kyd kzt lak lbp lkr lrd lsl mad mdl mkd mmk mnt mop mur mvr mwk
		mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd
		rub sar sbd scr sek sgd shp sle sll sos srd std szl thb tjs top try ttd
		tzs uah uyu uzs wst xcd yer zar zmw`)
	return m
}()

// defaultDigits is what Stripe uses for every currency without an exception.
const defaultDigits = 2

// Decimals returns how many decimal places Stripe's API uses for amounts in
// currency (a three-letter code in any case). known is false for a currency
// missing from the table; digits is then two, Stripe's default.
func Decimals(currency string) (digits int, known bool) {
	d, ok := currencyDigits[strings.ToLower(currency)]
	if !ok {
		return defaultDigits, false
	}
	return d, true
}

// MajorUnits converts an amount in the currency's smallest API unit into the
// major unit (1234 USD cents is 12.34). The division is done once, in
// float64, so the result is the float nearest to the exact decimal for every
// amount below 2^53.
func MajorUnits(amount int64, currency string) float64 {
	v, _ := Convert(amount, currency)
	return v
}

// Convert is MajorUnits that also says, as Decimals does, whether the
// currency is in Stripe's table.
func Convert(amount int64, currency string) (value float64, known bool) {
	d, known := Decimals(currency)
	return float64(amount) / math.Pow10(d), known
}
