package stripetest

// Error bodies as the API reference page this project started from shows
// them.
const (
	BadRequestBody = `{
  "error": {
    "message": "If passing an array with explicit keys (e.g. foo[0]=a&foo[1]=b) instead of as an array (e.g. foo[]=a&foo[]=b), the keys must be numeric and sequential starting from 0. You passed the keys ` + "`1`" + `, we expected to have a key with the value ` + "`0`" + `.",
    "param": "expand",
    "request_log_url": "https://dashboard.stripe.com/test/logs/req_kCeAL5FAly5bkh?t=1734734555",
    "type": "invalid_request_error"
  }
}`
	UnauthorizedBody = `{
  "error": {
    "type": "invalid_request_error",
    "message": "Invalid API Key provided: sk_test_********************1234"
  }
}`
)

// Balance is a balance that has every kind of fund: several currencies,
// among them a zero-decimal (jpy) and a three-decimal (kwd) one, negative
// amounts, a breakdown by source type that adds up (usd available), one that
// does not (usd pending) and none at all (jpy, kwd).
const Balance = `{
  "object": "balance",
  "livemode": false,
  "available": [
    {"amount": 123456, "currency": "usd", "source_types": {"card": 100000, "bank_account": 23000, "fpx": 456}},
    {"amount": 5000, "currency": "jpy"},
    {"amount": 1234, "currency": "kwd", "source_types": {"card": 1234}},
    {"amount": -2550, "currency": "eur", "source_types": {"card": -2550}}
  ],
  "pending": [
    {"amount": 10000, "currency": "usd", "source_types": {"card": 7500}},
    {"amount": 0, "currency": "eur", "source_types": {"card": 0}}
  ],
  "instant_available": [
    {"amount": 50000, "currency": "usd", "source_types": {"card": 50000}}
  ],
  "connect_reserved": [
    {"amount": 700, "currency": "usd"}
  ],
  "issuing": {
    "available": [
      {"amount": 150000, "currency": "usd"}
    ]
  },
  "refund_and_dispute_prefunding": {
    "available": [{"amount": 2500, "currency": "usd"}],
    "pending": [{"amount": 100, "currency": "usd"}]
  }
}`

// ConnectedBalance is a small balance for a connected account.
const ConnectedBalance = `{
  "object": "balance",
  "livemode": false,
  "available": [{"amount": 999, "currency": "gbp", "source_types": {"card": 999}}],
  "pending": [{"amount": 1, "currency": "gbp", "source_types": {"card": 1}}]
}`

// SettledTransaction is a charge whose funds are available.
const SettledTransaction = `{
  "object": "balance_transaction",
  "id": "txn_1Settled",
  "amount": 1000,
  "available_on": 1735689600,
  "currency": "usd",
  "description": "Payment for invoice",
  "fee": 59,
  "fee_details": [
    {"amount": 50, "currency": "usd", "description": "Stripe processing fees", "type": "stripe_fee"},
    {"amount": 9, "currency": "usd", "description": "Sales tax", "type": "tax"}
  ],
  "net": 941,
  "reporting_category": "charge",
  "status": "available",
  "type": "charge"
}`

// PendingTransaction is a charge in a three-decimal currency whose funds
// are not available yet.
const PendingTransaction = `{
  "object": "balance_transaction",
  "id": "txn_1Pending",
  "amount": 10500,
  "available_on": 1767225600,
  "currency": "kwd",
  "fee": 320,
  "fee_details": [
    {"amount": 300, "currency": "kwd", "type": "stripe_fee"},
    {"amount": 20, "currency": "kwd", "type": "stripe_fee"}
  ],
  "net": 10180,
  "reporting_category": "charge",
  "status": "pending",
  "type": "charge"
}`
