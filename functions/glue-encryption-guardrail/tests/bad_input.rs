//! Bad input, property-based: random JSON, mutated sample events, raw bytes and odd catalog
//! settings, through the event parser, `classify` and the handler wired to the in-memory fakes.
//!
//! Each property runs `PROPTEST_CASES` cases (2000 when unset, as in CI); a longer local run is
//! `PROPTEST_CASES=100000 cargo test -p glue-encryption-guardrail --test bad_input` (about seven
//! minutes in a debug build on two CPUs). The inputs come from `PROPTEST_RNG_SEED`, or from a
//! fixed seed when it is unset: CI draws the same inputs on every run, so a red run is a
//! change's doing, not a draw's; `PROPTEST_RNG_SEED=$RANDOM` explores others, and a failure
//! names the seed that replays it. Every property prints its case count, seed and duration
//! straight to stderr, past the test harness's capture, so the CI log shows how much was run.

// A test states its expectations with unwrap, expect and panic (see clippy.toml); clippy does not
// count the helper functions outside `#[test]` as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use glue_encryption_guardrail::app::config::EnforcementMode::Remediate;
use glue_encryption_guardrail::core::event::TriggerEvent;
use glue_encryption_guardrail::core::record::{AuditRecord, Outcome};
use glue_encryption_guardrail::core::settings::{
    CatalogEncryptionMode, CatalogSettings, ConnectionPasswordEncryption, EncryptionAtRest,
};
use glue_encryption_guardrail::core::trigger::{
    Decision, SkipReason, TriggerSummary, Whoami, classify,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestCaseResult, TestRunner};
use serde_json::{Map, Value, json};
use std::fmt::Debug;
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;
use support::*;

/// Cases per property when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 2000;

/// Event text is clipped to 256 bytes, plus the 3-byte ellipsis that marks the cut.
const MAX_COPIED_FIELD_BYTES: usize = 256 + '…'.len_utf8();

/// A skip reason quotes at most two clipped fields with `{:?}`, which escapes a control
/// character in up to 6 bytes (`\u{1f}`), around some 100 bytes of its own text.
const MAX_REASON_BYTES: usize = 2 * 6 * MAX_COPIED_FIELD_BYTES + 128;

/// The seed of every property's inputs when `PROPTEST_RNG_SEED` is unset.
const DEFAULT_SEED: u64 = 20_261_202;

fn seed() -> u64 {
    std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// How the cases of one property were decided.
#[derive(Default)]
struct Tally {
    evaluated: AtomicU32,
    skipped: AtomicU32,
}

impl Tally {
    fn count(&self, decision: &Decision) {
        let counter = match decision {
            Decision::Evaluate => &self.evaluated,
            Decision::Skip(_) => &self.skipped,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
    fn evaluated(&self) -> u32 {
        self.evaluated.load(Ordering::Relaxed)
    }
    fn skipped(&self) -> u32 {
        self.skipped.load(Ordering::Relaxed)
    }
}

/// Runs one property and reports, past the harness's capture, how many cases it ran, how they
/// were decided and how long it took. Panics inside `test` count as failures and are shrunk
/// like any other. Returns the tally.
fn check<S>(name: &str, strategy: S, test: impl Fn(S::Value, &Tally) -> TestCaseResult) -> Tally
where
    S: Strategy,
    S::Value: Debug,
{
    let (cases, seed) = (cases(), seed());
    let mut runner = TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    });
    let (ran, tally) = (AtomicU32::new(0), Tally::default());
    let started = Instant::now();
    let result = runner.run(&strategy, |value| {
        ran.fetch_add(1, Ordering::Relaxed);
        test(value, &tally)
    });
    let decided = match (tally.evaluated(), tally.skipped()) {
        (0, 0) => String::new(),
        (evaluated, skipped) => format!(" ({evaluated} evaluated, {skipped} skipped)"),
    };
    let _ = writeln!(
        std::io::stderr(),
        "proptest: {cases} cases per property, seed {seed}; {name}: {} run{decided} in {:.2?}",
        ran.load(Ordering::Relaxed),
        started.elapsed()
    );
    if let Err(e) = result {
        panic!("{name}: {e} (replay with PROPTEST_RNG_SEED={seed})");
    }
    tally
}

fn me() -> Whoami<'static> {
    Whoami {
        own_session_arn: Some(GUARDRAIL_SESSION),
        account: Some(ACCOUNT),
        region: REGION,
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(TestCaseError::fail(format!($($fmt)+)));
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Strategies: text, JSON, mutations
// ---------------------------------------------------------------------------------------------

/// Values the guardrail looks for, and near misses of them.
const INTERESTING: &[&str] = &[
    "aws.glue",
    "AWS.GLUE",
    "aws.events",
    "AWS API Call via CloudTrail",
    "aws api call via cloudtrail",
    "Scheduled Event",
    "glue.amazonaws.com",
    "glue.amazonaws.com ",
    "PutDataCatalogEncryptionSettings",
    "putDataCatalogEncryptionSettings",
    "PutDataCatalogEncryptionSettings\u{0}",
    "CreateDatabase",
    "123456789012",
    "210987654321",
    "us-east-1",
    "eu-west-1",
    "US-EAST-1",
    GUARDRAIL_ROLE,
    "arn:aws:iam::123456789012:role/DataEngineer",
    "arn:aws:sts::123456789012:assumed-role/DataEngineer/alice",
    "DISABLED",
    "disabled",
    "SSE-KMS",
    "sse-kms",
    "Sse-Kms",
    "SSE-KMS-WITH-SERVICE-ROLE",
    "SSE-S3",
    "AccessDeniedException",
    OUR_KEY,
    OUR_ALIAS,
    "",
    " ",
    "null",
    "\u{202e}",
    "\\u0000",
];

fn huge_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!['a', 'é', '€', '😀', '\u{0}', '"', '\\', '\u{202e}']),
        257..70_000usize,
    )
        .prop_map(|(c, n)| c.to_string().repeat(n))
}

/// xorshift64: the seeded generators below draw from it. Seeded values are far cheaper to
/// generate than proptest's regex and recursive strategies, which matters at 2000 cases per
/// property in a debug build. They do not shrink piece by piece; the mutation list around them
/// still does.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Up to 40 characters from one alphabet.
fn random_text(rng: &mut Rng) -> String {
    let alphabet = rng.below(4);
    let len = rng.below(41);
    (0..len)
        .map(|_| {
            let n = rng.next();
            match alphabet {
                // printable ASCII
                0 => char::from(b' ' + (n % 95) as u8),
                // control characters, quotes, backslashes, DEL, the replacement character
                1 => [
                    '\u{0}', '\u{1f}', '"', '\\', '/', '\u{7f}', '\u{fffd}', '\n',
                ][(n % 8) as usize],
                // the Basic Multilingual Plane
                2 => char::from_u32((n % 0xFFFF) as u32).unwrap_or('\u{fffd}'),
                // anything Unicode allows
                _ => char::from_u32((n % 0x11_0000) as u32).unwrap_or('\u{d7ff}'),
            }
        })
        .collect()
}

fn seeded_text() -> impl Strategy<Value = String> {
    any::<u64>().prop_map(|seed| random_text(&mut Rng::new(seed)))
}

const KEYS: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "detail",
    "eventName",
    "eventSource",
    "errorCode",
    "userIdentity",
    "sessionContext",
    "sessionIssuer",
    "arn",
    "invokedBy",
    "requestParameters",
    "catalogId",
    "eventID",
    "eventTime",
    "awsRegion",
    "recipientAccountId",
    "catalogEncryptionMode",
];

/// Any JSON value, from a seed: scalars of every type, odd and huge strings, arrays and
/// objects up to `depth` levels, and now and then a nest close to serde_json's parse limit.
fn random_json(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth == 0 { 7 } else { 10 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.next().is_multiple_of(2)),
        2 => match rng.below(3) {
            0 => Value::from(rng.next() as i64),
            1 => Value::from(rng.next()),
            _ => serde_json::Number::from_f64(f64::from_bits(rng.next()))
                .map_or(Value::Null, Value::Number),
        },
        3 | 4 => Value::String(random_text(rng)),
        5 => Value::from(*rng.pick(INTERESTING)),
        6 => match rng.below(8) {
            0 => {
                let c = *rng.pick(&['a', 'é', '😀', '\u{0}', '"', '\\']);
                Value::String(c.to_string().repeat(257 + rng.below(70_000)))
            }
            _ => Value::String(random_text(rng)),
        },
        7 => Value::Array(
            (0..rng.below(6))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        8 => Value::Object(
            (0..rng.below(6))
                .map(|_| (key_or_text(rng), random_json(rng, depth - 1)))
                .collect(),
        ),
        _ => {
            let mut value = random_json(rng, 0);
            for _ in 0..rng.below(110) {
                value = nest(value, rng.below(2) == 0);
            }
            value
        }
    }
}

/// A key the guardrail reads, or random text: half and half.
fn key_or_text(rng: &mut Rng) -> String {
    if rng.below(2) == 0 {
        (*rng.pick(KEYS)).to_owned()
    } else {
        random_text(rng)
    }
}

/// `value` one level deeper: in an array, or as an object's `detail`.
fn nest(value: Value, in_array: bool) -> Value {
    if in_array {
        Value::Array(vec![value])
    } else {
        Value::Object(Map::from_iter([("detail".to_owned(), value)]))
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => seeded_text(),
        3 => prop::sample::select(INTERESTING).prop_map(str::to_owned),
        1 => huge_text(),
    ]
}

/// Keys the guardrail reads, so random objects sometimes hit them, and anything else.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_owned),
        2 => seeded_text(),
        1 => huge_text(),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ]
}

/// A value nested `depth` arrays or objects deep: close to serde_json's parse limit (128),
/// which is what bounds any event Lambda can deliver.
fn deep() -> impl Strategy<Value = Value> {
    (1..110usize, leaf(), any::<bool>()).prop_map(|(depth, mut value, arrays)| {
        for _ in 0..depth {
            value = nest(value, arrays);
        }
        value
    })
}

/// Any JSON value: scalars, arrays, objects, deep nesting.
fn json() -> impl Strategy<Value = Value> {
    let tree = leaf().prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    });
    prop_oneof![8 => tree, 1 => deep()]
}

/// The documented catalog encryption modes.
const MODES: &[&str] = &["DISABLED", "SSE-KMS", "SSE-KMS-WITH-SERVICE-ROLE"];

/// What a padded mode ends with.
const MODE_PADS: &[&str] = &[" ", "\t", "\u{0}", "\u{a0}", "\n"];

/// `mode` with the letters `lower` picks, one call a character, in lower case.
fn lowercase_some(mode: &str, mut lower: impl FnMut() -> bool) -> String {
    mode.chars()
        .map(|c| if lower() { c.to_ascii_lowercase() } else { c })
        .collect()
}

/// A catalog encryption mode: a documented one, a case-mangled or padded one, or anything.
fn mode_spelling() -> impl Strategy<Value = String> {
    let known = prop::sample::select(MODES);
    prop_oneof![
        2 => known.clone().prop_map(str::to_owned),
        3 => (known.clone(), prop::collection::vec(any::<bool>(), 25)).prop_map(|(mode, flips)| {
            let mut flips = flips.into_iter().cycle();
            lowercase_some(mode, || flips.next().unwrap_or_default())
        }),
        1 => (known, prop::sample::select(MODE_PADS))
            .prop_map(|(mode, pad)| format!("{mode}{pad}")),
        2 => text(),
    ]
}

/// The fields the guardrail reads, by path.
const KNOWN_FIELDS: &[&[&str]] = &[
    &["source"],
    &["detail-type"],
    &["account"],
    &["region"],
    &["id"],
    &["time"],
    &["detail"],
    &["detail", "eventName"],
    &["detail", "eventSource"],
    &["detail", "errorCode"],
    &["detail", "awsRegion"],
    &["detail", "recipientAccountId"],
    &["detail", "eventID"],
    &["detail", "eventTime"],
    &["detail", "userIdentity"],
    CALLER_PATH,
    &["detail", "userIdentity", "invokedBy"],
    &[
        "detail",
        "userIdentity",
        "sessionContext",
        "sessionIssuer",
        "arn",
    ],
    &["detail", "requestParameters"],
    &["detail", "requestParameters", "catalogId"],
    MODE_PATH,
    &[
        "detail",
        "requestParameters",
        "dataCatalogEncryptionSettings",
        "connectionPasswordEncryption",
        "returnConnectionPasswordEncrypted",
    ],
];

const MODE_PATH: &[&str] = &[
    "detail",
    "requestParameters",
    "dataCatalogEncryptionSettings",
    "encryptionAtRest",
    "catalogEncryptionMode",
];

/// Where the caller's session is: what the loop guard compares with the function's own.
const CALLER_PATH: &[&str] = &["detail", "userIdentity", "arn"];

/// One edit to an event. `at` picks a node by index among the event's nodes at the time.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace a random subtree (or the whole event) with a random value.
    Replace { at: usize, with: Value },
    /// Remove a random object member or array element.
    Remove { at: usize },
    /// Add an unknown key to a random object.
    AddUnknown {
        at: usize,
        key: String,
        value: Value,
    },
    /// Set a field the guardrail reads, creating the path, to a random value.
    SetKnown { field: usize, value: Value },
    /// Set the requested mode to a documented, case-mangled or unknown spelling.
    Mode(String),
}

/// A mode spelling from a seed, as `mode_spelling` draws them.
fn random_mode(rng: &mut Rng) -> String {
    let known = *rng.pick(MODES);
    match rng.below(8) {
        0 | 1 => known.to_owned(),
        2..=4 => lowercase_some(known, || rng.below(2) == 0),
        5 => format!("{known}{}", rng.pick(MODE_PADS)),
        _ => random_text(rng),
    }
}

/// One edit, from a seed (weights 3:2:2:3:1 as listed in `Mutation`). Seeded, so generating
/// a case costs microseconds; a failing case still shrinks by dropping edits.
fn random_mutation(rng: &mut Rng) -> Mutation {
    let at = rng.next() as usize;
    match rng.below(11) {
        0..=2 => Mutation::Replace {
            at,
            with: random_json(rng, 4),
        },
        3 | 4 => Mutation::Remove { at },
        5 | 6 => Mutation::AddUnknown {
            at,
            key: key_or_text(rng),
            value: random_json(rng, 4),
        },
        7..=9 => Mutation::SetKnown {
            field: at,
            value: if rng.below(2) == 0 {
                Value::from(*rng.pick(INTERESTING))
            } else {
                random_json(rng, 4)
            },
        },
        _ => Mutation::Mode(random_mode(rng)),
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    any::<u64>().prop_map(|seed| random_mutation(&mut Rng::new(seed)))
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node's path, the root's (empty) first.
fn paths(value: &Value) -> Vec<Vec<Step>> {
    fn walk(value: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(here.clone());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    here.push(Step::Key(k.clone()));
                    walk(v, here, out);
                    here.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    here.push(Step::Index(i));
                    walk(v, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn node<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(k) => node.get(k.as_str()),
        Step::Index(i) => node.get(*i),
    })
}

fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(k) => node.get_mut(k.as_str()),
        Step::Index(i) => node.get_mut(*i),
    })
}

/// Sets `path` to `value`, turning whatever is in the way into objects.
fn force(event: &mut Value, path: &[&str], value: Value) {
    let mut node = event;
    for (i, key) in path.iter().enumerate() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else {
            unreachable!()
        };
        if i == path.len() - 1 {
            map.insert((*key).to_owned(), value);
            return;
        }
        node = map.entry(*key).or_insert(Value::Null);
    }
}

fn apply(event: &mut Value, mutation: Mutation) {
    let all = paths(event);
    match mutation {
        Mutation::Replace { at, with } => {
            if let Some(node) = node_mut(event, &all[at % all.len()]) {
                *node = with;
            }
        }
        Mutation::Remove { at } => {
            let path = &all[at % all.len()];
            if let Some((last, parent)) = path.split_last() {
                match (node_mut(event, parent), last) {
                    (Some(Value::Object(map)), Step::Key(k)) => {
                        map.remove(k);
                    }
                    (Some(Value::Array(items)), Step::Index(i)) if *i < items.len() => {
                        items.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        Mutation::AddUnknown { at, key, value } => {
            let objects: Vec<_> = all
                .iter()
                .filter(|p| node(event, p).is_some_and(Value::is_object))
                .cloned()
                .collect();
            if !objects.is_empty()
                && let Some(Value::Object(map)) = node_mut(event, &objects[at % objects.len()])
            {
                map.insert(key, value);
            }
        }
        Mutation::SetKnown { field, value } => {
            force(event, KNOWN_FIELDS[field % KNOWN_FIELDS.len()], value);
        }
        Mutation::Mode(spelling) => force(event, MODE_PATH, Value::String(spelling)),
    }
}

/// Every sample in `events/`, by file name.
fn samples() -> Vec<(String, Value)> {
    let dir = format!("{}/../../events", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no samples in {dir}");
    names.into_iter().map(|n| (n.clone(), event(&n))).collect()
}

/// A sample event with one to seven random edits.
fn mutated_event() -> impl Strategy<Value = (String, Value)> {
    (
        prop::sample::select(samples()),
        prop::collection::vec(mutation(), 1..8),
    )
        .prop_map(|((name, mut event), mutations)| {
            for m in mutations {
                apply(&mut event, m);
            }
            (name, event)
        })
}

/// Raw bytes: random, or a sample's JSON text with bytes flipped, inserted, deleted or cut,
/// invalid UTF-8, lone surrogate escapes and deep brackets spliced in.
fn raw_bytes() -> impl Strategy<Value = Vec<u8>> {
    let splice = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..16),
        prop::sample::select(vec![
            b"\xff\xfe".to_vec(),
            b"\xc3".to_vec(),
            b"\xed\xa0\x80".to_vec(),
            br#""\ud800""#.to_vec(),
            br#""\udc00\ud800""#.to_vec(),
            br#""\u0000""#.to_vec(),
            b"1e999999".to_vec(),
            b"-0".to_vec(),
            b"NaN".to_vec(),
        ]),
        (1..3000usize).prop_map(|n| [b"[".repeat(n), b"]".repeat(n)].concat()),
        (1..3000usize)
            .prop_map(|n| [br#"{"detail":"#.repeat(n), b"1".to_vec(), b"}".repeat(n)].concat()),
    ];
    let edited = (
        prop::sample::select(samples()),
        prop::collection::vec((any::<usize>(), 0..4u8, splice), 1..6),
    )
        .prop_map(|((_, event), edits)| {
            let mut bytes = serde_json::to_vec(&event).unwrap();
            for (at, kind, insert) in edits {
                let at = at % (bytes.len() + 1);
                match kind {
                    0 => {
                        bytes.splice(at..at, insert);
                    }
                    1 => {
                        let end = (at + insert.len().max(1)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    2 => {
                        if let Some(b) = bytes.get_mut(at) {
                            *b ^= insert.first().copied().unwrap_or(0x20);
                        }
                    }
                    _ => bytes.truncate(at),
                }
            }
            bytes
        });
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        3 => edited,
    ]
}

// ---------------------------------------------------------------------------------------------
// What every answer must satisfy
// ---------------------------------------------------------------------------------------------

fn summary_is_bounded(summary: &TriggerSummary) -> TestCaseResult {
    for (name, field) in [
        ("event_id", &summary.event_id),
        ("event_name", &summary.event_name),
        ("caller_arn", &summary.caller_arn),
        ("event_time", &summary.event_time),
        ("account", &summary.account),
        ("region", &summary.region),
    ] {
        let len = field.as_ref().map_or(0, String::len);
        ensure!(
            len <= MAX_COPIED_FIELD_BYTES,
            "{name} copied {len} bytes from the event"
        );
    }
    Ok(())
}

/// Handles `event` as the function does, from its JSON text, and checks what every invocation
/// must do, whatever the event; also that the text and the value read as the same event.
fn handle_and_check(event: &Value, tally: &Tally) -> Result<(AuditRecord, usize), TestCaseError> {
    let bytes = serde_json::to_vec(event).unwrap();
    // Against the text's own `Value`, as a float can come back from its text one bit off.
    let typed = match (
        TriggerEvent::from_slice(&bytes),
        serde_json::from_slice::<Value>(&bytes),
    ) {
        (Ok(typed), Ok(value)) => {
            ensure!(
                typed == TriggerEvent::from(&value),
                "the JSON text and its value read differently: {typed:?}"
            );
            typed
        }
        // A `Value` refuses nesting past 128 levels. The event parser skips the fields it does
        // not read without that limit, so it also reads such an event.
        (Ok(typed), Err(_)) => typed,
        (Err(e), Ok(_)) => return Err(TestCaseError::fail(format!("valid JSON refused: {e}"))),
        // Nested past the limit where the parser reads: no runtime could hand this over, and
        // the handler still takes it as a value.
        (Err(_), Err(_)) => TriggerEvent::from(event),
    };
    if !event.is_object() {
        let decision = classify(&typed, me()).decision;
        ensure!(
            decision == Decision::Skip(SkipReason::NotAnEvent),
            "a non-object was not skipped: {decision:?}"
        );
    }
    handle_event_and_check(&typed, tally)
}

/// Handles `event` with the fakes (a drifted catalog, healthy SSM and KMS) and checks what
/// every invocation must do, whatever the event.
fn handle_event_and_check(
    event: &TriggerEvent,
    tally: &Tally,
) -> Result<(AuditRecord, usize), TestCaseError> {
    let world = World::new(settings("DISABLED", None, false, None));
    let classified = classify(event, me());
    tally.count(&classified.decision);
    summary_is_bounded(&classified.summary)?;

    let result = runtime().block_on(world.guardrail(Remediate).handle(event, invocation()));

    let records = world.audit.records();
    ensure!(records.len() == 1, "{} audit records", records.len());
    let record = records.into_iter().next().unwrap();
    match &result {
        Ok(returned) => ensure!(returned == &record, "the response is not the audit record"),
        Err(e) => ensure!(
            record.outcome == Outcome::Failed && record.reason_code == e.code(),
            "an error recorded as {:?}",
            record.outcome
        ),
    }
    summary_is_bounded(&record.trigger)?;
    ensure!(
        record.reason.len() <= MAX_REASON_BYTES,
        "reason of {} bytes",
        record.reason.len()
    );
    let line = serde_json::to_string(&record).unwrap();
    ensure!(
        line.len() <= 16 * 1024,
        "audit line of {} bytes",
        line.len()
    );

    let calls = world.aws_calls();
    match classified.decision {
        Decision::Skip(reason) => {
            ensure!(
                record.outcome == Outcome::Skipped && record.reason_code == reason.code(),
                "classified {reason:?} but recorded {:?}/{}",
                record.outcome,
                record.reason_code
            );
            ensure!(calls == 0, "a skipped event made {calls} AWS calls");
        }
        Decision::Evaluate => {
            // A drifted catalog with healthy services: read, parameter, key, write, read back.
            ensure!(
                record.outcome == Outcome::Remediated,
                "evaluated to {:?}: {}",
                record.outcome,
                record.reason
            );
            ensure!(calls == 5, "{calls} AWS calls to remediate");
            ensure!(world.catalog.puts() == vec![compliant()], "wrong write");
        }
    }
    Ok((record, calls))
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

#[test]
fn random_json_is_classified_and_handled_without_panic() {
    check("random JSON", json(), |event, tally| {
        handle_and_check(&event, tally).map(|_| ())
    });
}

#[test]
fn mutated_sample_events_get_one_answer_and_one_bounded_audit_record() {
    let tally = check(
        "mutated sample events",
        mutated_event(),
        |(_, event), tally| handle_and_check(&event, tally).map(|_| ()),
    );
    // The generator must reach both branches, or the property proves little.
    if cases() >= 500 {
        assert!(
            tally.evaluated() >= cases() / 20,
            "too few events evaluated"
        );
        assert!(tally.skipped() >= cases() / 20, "too few events skipped");
    }
}

#[test]
fn an_event_from_the_guardrails_own_session_costs_nothing_whatever_else_it_contains() {
    check(
        "mutated events from the guardrail's own session",
        mutated_event(),
        |(_, mut event), tally| {
            force(&mut event, CALLER_PATH, Value::from(GUARDRAIL_SESSION));
            let (record, calls) = handle_and_check(&event, tally)?;
            ensure!(calls == 0, "{calls} AWS calls");
            ensure!(
                (record.outcome, record.reason_code) == (Outcome::Skipped, "own_write"),
                "{:?}/{}: {}",
                record.outcome,
                record.reason_code,
                record.reason
            );
            Ok(())
        },
    );
}

/// The widest skip reason there is: two fields of control characters, quoted with escapes.
#[test]
fn the_widest_skip_reason_stays_bounded() {
    for c in ['\u{0}', '\u{1f}', '\u{85}', '"', '😀'] {
        let huge = c.to_string().repeat(10_000);
        let e = json!({ "source": huge, "detail-type": huge });
        let (record, calls) = handle_and_check(&e, &Tally::default()).unwrap();
        assert_eq!((record.reason_code, calls), ("unsupported_event", 0));
        assert!(
            record.reason.len() <= MAX_REASON_BYTES,
            "{}",
            record.reason.len()
        );
        assert!(record.reason.len() > 2 * MAX_COPIED_FIELD_BYTES || c == '😀');
    }
}

/// Found by the property above: the loop guard used to apply to CloudTrail records only, so a
/// scheduled tick carrying the guardrail's own session was evaluated.
#[test]
fn the_loop_guard_applies_to_every_kind_of_event() {
    // given: an event of each kind, and how it is decided when another caller sends it
    let samples = [
        ("scheduled-reconcile.json", "evaluate"),
        ("unrelated-glue-create-database.json", "other_api"),
        ("put-failed-access-denied.json", "failed_call"),
        ("put-encryption-disabled.json", "evaluate"),
    ];
    let bare_tick = json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}});
    let cases = samples
        .map(|(file, otherwise)| (file, event(file), otherwise))
        .into_iter()
        .chain([("a bare scheduled tick", bare_tick, "evaluate")]);
    let decided = |e: &Value| match classify(e, me()).decision {
        Decision::Evaluate => "evaluate",
        Decision::Skip(reason) => reason.code(),
    };
    for (name, mut e, otherwise) in cases {
        assert_eq!(decided(&e), otherwise, "{name}");
        // when it carries the guardrail's own session, then it is skipped
        force(&mut e, CALLER_PATH, Value::from(GUARDRAIL_SESSION));
        assert_eq!(decided(&e), "own_write", "{name}");
    }
}

#[test]
fn raw_bytes_that_parse_are_handled_and_the_rest_are_refused_without_panic() {
    check("raw bytes", raw_bytes(), |bytes, tally| {
        let typed = TriggerEvent::from_slice(&bytes);
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            // Whatever is JSON is an event to the function, read as its value reads.
            ensure!(
                typed.as_ref().ok() == Some(&TriggerEvent::from(&value)),
                "JSON read differently from its value: {typed:?}"
            );
        }
        // The typed parse skips what it does not read without converting it, so it may also
        // accept text a `Value` refuses (a number beyond f64, or nesting past 128 levels, in
        // a field it skips).
        if let Ok(event) = typed {
            handle_event_and_check(&event, tally)?;
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Odd catalog settings (not the event): unknown and mixed-case modes, odd key ids
// ---------------------------------------------------------------------------------------------

fn key_reference() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        4 => prop::sample::select(vec![
            OUR_KEY,
            OUR_KEY_ID,
            OUR_ALIAS,
            OTHER_KEY,
            "alias/aws/glue",
            "alias/nobody-made-this",
            "arn:aws:kms:us-east-1:123456789012:alias/glue-catalog",
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "ARN:AWS:KMS:US-EAST-1:123456789012:KEY/1234ABCD-12AB-34CD-56EF-1234567890AB",
            "",
            "  ",
        ])
        .prop_map(|k| Some(k.to_owned())),
        1 => text().prop_map(Some),
    ]
}

fn catalog_settings() -> impl Strategy<Value = CatalogSettings> {
    (
        mode_spelling(),
        key_reference(),
        prop::option::of(Just(
            "arn:aws:iam::123456789012:role/GlueKeyUser".to_owned(),
        )),
        any::<bool>(),
        key_reference(),
    )
        .prop_map(
            |(mode, key, role, passwords, password_key)| CatalogSettings {
                encryption_at_rest: EncryptionAtRest {
                    catalog_encryption_mode: CatalogEncryptionMode::parse(&mode),
                    sse_aws_kms_key_id: key,
                    catalog_encryption_service_role: role,
                },
                connection_password_encryption: ConnectionPasswordEncryption {
                    return_connection_password_encrypted: passwords,
                    aws_kms_key_id: password_key,
                },
            },
        )
}

#[test]
fn any_catalog_settings_are_judged_by_the_policy_and_fixed_with_at_most_one_write() {
    check("catalog settings", catalog_settings(), |before, _| {
        // The policy, restated: SSE-KMS (no service role is configured), and both settings
        // naming our key by its ARN or id; an alias, even of our key, does not pin it.
        let ours = |k: &Option<String>| matches!(k.as_deref(), Some(OUR_KEY | OUR_KEY_ID));
        let at_rest = &before.encryption_at_rest;
        let compliant_before = at_rest.catalog_encryption_mode == CatalogEncryptionMode::SseKms
            && ours(&at_rest.sse_aws_kms_key_id)
            && before
                .connection_password_encryption
                .return_connection_password_encrypted
            && ours(&before.connection_password_encryption.aws_kms_key_id);

        let world = World::new(before.clone());
        let guardrail = world.guardrail(Remediate);
        let drift = event("put-encryption-disabled.json");
        let look = |what: &str| {
            runtime()
                .block_on(guardrail.handle(&drift, invocation()))
                .map_err(|e| TestCaseError::fail(format!("{what} failed: {e}")))
        };
        let record = look("the first look")?;

        if compliant_before {
            ensure!(
                record.outcome == Outcome::Compliant,
                "{:?}: {}",
                record.outcome,
                record.reason
            );
            ensure!(world.catalog.puts().is_empty(), "wrote a compliant catalog");
        } else {
            ensure!(
                record.outcome == Outcome::Remediated && !record.violations.is_empty(),
                "{:?}: {}",
                record.outcome,
                record.reason
            );
            let puts = world.catalog.puts();
            ensure!(puts.len() == 1, "{} writes", puts.len());
            let written = &puts[0];
            let expected = compliant();
            ensure!(written == &expected, "wrote {written:?}");
        }

        // and the next look finds nothing to do
        let again = look("the second look")?;
        ensure!(again.outcome == Outcome::Compliant, "{:?}", again.outcome);
        ensure!(world.catalog.puts().len() <= 1, "a second write");
        Ok(())
    });
}
