//! How a v2 request is read, one row per rule.
//!
//! Each row is a request (query string, content type, body, limits) and what the old PHP
//! server's method handler would have seen: the parameters (in order: the expected JSON is
//! compared as text), the `auth` token, the SDK telemetry, uploaded files and how the body was
//! read, or the error the bridge answers with instead.

use b24bridge::decode::{
    decode_request, parse_php_query, BodyKind, DecodeError, DecodeLimits, FilePart, V2Request,
};
use serde_json::Value;

#[derive(Debug)]
enum Want {
    /// Decoding succeeds with these parameters (JSON text, key order significant).
    Params(String),
    Error(DecodeError),
    AnyInvalidJson,
    AnyInvalidMultipart,
}

struct Case {
    what: &'static str,
    query: Option<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    limits: DecodeLimits,
    want: Want,
    auth: Option<&'static str>,
    telemetry: Vec<(&'static str, &'static str)>,
    files: Vec<FilePart>,
    kind: BodyKind,
}

/// A GET: everything in the query string, no body.
fn get(what: &'static str, query: impl Into<String>) -> Case {
    Case {
        what,
        query: Some(query.into()),
        content_type: None,
        body: Vec::new(),
        limits: DecodeLimits::default(),
        want: Want::Params("{}".to_owned()),
        auth: None,
        telemetry: Vec::new(),
        files: Vec::new(),
        kind: BodyKind::Empty,
    }
}

/// A POST with a body, read as `kind`.
fn post(
    what: &'static str,
    content_type: Option<&'static str>,
    body: impl Into<Vec<u8>>,
    kind: BodyKind,
) -> Case {
    Case {
        query: None,
        content_type,
        body: body.into(),
        kind,
        ..get(what, "")
    }
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const JSON: Option<&str> = Some("application/json");

fn form(what: &'static str, body: &str) -> Case {
    post(what, FORM, body, BodyKind::Form)
}

fn json(what: &'static str, body: &str) -> Case {
    post(what, JSON, body, BodyKind::Json)
}

fn multipart(what: &'static str, content_type: &'static str, body: impl Into<Vec<u8>>) -> Case {
    post(what, Some(content_type), body, BodyKind::Multipart)
}

impl Case {
    fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }
    fn limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }
    fn params(mut self, json: impl Into<String>) -> Self {
        self.want = Want::Params(json.into());
        self
    }
    fn error(mut self, error: DecodeError) -> Self {
        self.want = Want::Error(error);
        self
    }
    fn invalid_json(mut self) -> Self {
        self.want = Want::AnyInvalidJson;
        self
    }
    fn invalid_multipart(mut self) -> Self {
        self.want = Want::AnyInvalidMultipart;
        self
    }
    fn auth(mut self, auth: &'static str) -> Self {
        self.auth = Some(auth);
        self
    }
    fn telemetry(mut self, telemetry: &[(&'static str, &'static str)]) -> Self {
        self.telemetry = telemetry.to_vec();
        self
    }
    fn file(
        mut self,
        field: &str,
        file_name: &str,
        content_type: Option<&str>,
        size: usize,
    ) -> Self {
        self.files.push(FilePart {
            field: field.to_owned(),
            file_name: file_name.to_owned(),
            content_type: content_type.map(str::to_owned),
            size,
        });
        self
    }

    /// What is wrong with the outcome, if anything.
    fn check(&self, got: Result<V2Request, DecodeError>) -> Result<(), String> {
        let want = match (&self.want, got) {
            (Want::Params(want), Ok(got)) => (want, got),
            (Want::Error(want), Err(got)) if *want == got => return Ok(()),
            (Want::AnyInvalidJson, Err(DecodeError::InvalidJson(_)))
            | (Want::AnyInvalidMultipart, Err(DecodeError::InvalidMultipart(_))) => return Ok(()),
            (Want::Params(_), Err(err)) => return Err(format!("unexpected error: {err:?}")),
            (want, outcome) => return Err(format!("want {want:?}, got {outcome:?}")),
        };
        let (want_params, got) = want;
        let want_params: Value = serde_json::from_str(want_params)
            .map_err(|err| format!("bad expectation JSON: {err}"))?;
        let got_params = Value::Object(got.params.clone());
        let (want_text, got_text) = (want_params.to_string(), got_params.to_string());
        let mut problems = Vec::new();
        if want_text != got_text {
            problems.push(format!(
                "params\n     want {want_text}\n      got {got_text}"
            ));
        }
        if got.auth.as_deref() != self.auth {
            problems.push(format!("auth: want {:?}, got {:?}", self.auth, got.auth));
        }
        let telemetry: Vec<(&str, &str)> = got
            .telemetry
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if telemetry != self.telemetry {
            problems.push(format!(
                "telemetry: want {:?}, got {telemetry:?}",
                self.telemetry
            ));
        }
        let want_id = self
            .telemetry
            .iter()
            .find(|(k, _)| *k == "bx24_request_id")
            .map(|(_, v)| *v);
        if got.request_id() != want_id {
            problems.push(format!(
                "request_id: want {want_id:?}, got {:?}",
                got.request_id()
            ));
        }
        if got.files != self.files {
            problems.push(format!("files: want {:?}, got {:?}", self.files, got.files));
        }
        if got.body_kind != self.kind {
            problems.push(format!(
                "body kind: want {:?}, got {:?}",
                self.kind, got.body_kind
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n   "))
        }
    }
}

fn limits(max_body_bytes: usize, max_vars: usize, max_depth: usize) -> DecodeLimits {
    DecodeLimits {
        max_body_bytes,
        max_vars,
        max_depth,
    }
}

fn with_vars(max_vars: usize) -> DecodeLimits {
    DecodeLimits {
        max_vars,
        ..DecodeLimits::default()
    }
}

fn with_depth(max_depth: usize) -> DecodeLimits {
    DecodeLimits {
        max_depth,
        ..DecodeLimits::default()
    }
}

/// Lines joined with CRLF, as multipart bodies travel.
fn crlf(lines: &[&str]) -> Vec<u8> {
    lines.join("\r\n").into_bytes()
}

/// `levels` bracket segments below `top`.
fn nested_name(levels: usize) -> String {
    format!("top{}=1", "[k]".repeat(levels))
}

/// The parameters `nested_name(levels)` decodes to.
fn nested_name_json(levels: usize) -> String {
    format!(
        r#"{{"top":{}"1"{}}}"#,
        r#"{"k":"#.repeat(levels),
        "}".repeat(levels)
    )
}

/// A JSON object with `levels` objects nested below it.
fn nested_json(levels: usize) -> String {
    format!(
        "{}{}",
        "{\"k\":".repeat(levels + 1),
        "1".to_owned() + &"}".repeat(levels + 1)
    )
}

const BOUNDARY: &str = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk";

fn cases() -> Vec<Case> {
    vec![
        // ---- Scalars and arrays (v2-wire §2.1) ----
        get("plain names are scalars, and every form value is a string", "ID=42&entityTypeId=2")
            .params(r#"{"ID":"42","entityTypeId":"2"}"#),
        get("`x[]=` appends to a list", "select[]=ID&select[]=TITLE&select[]=UF_*")
            .params(r#"{"select":["ID","TITLE","UF_*"]}"#),
        get("`x[k]=` sets a key; keys keep the order they first appeared in",
            "fields[TITLE]=My%20company&fields[OPPORTUNITY]=100&fields[CURRENCY_ID]=EUR")
            .params(r#"{"fields":{"TITLE":"My company","OPPORTUNITY":"100","CURRENCY_ID":"EUR"}}"#),
        get("explicit indexes 0..n-1 in order make a list of objects (multi-field PHONE)",
            "fields[PHONE][0][VALUE]=112233&fields[PHONE][0][VALUE_TYPE]=WORK&fields[PHONE][1][VALUE]=445566")
            .params(r#"{"fields":{"PHONE":[{"VALUE":"112233","VALUE_TYPE":"WORK"},{"VALUE":"445566"}]}}"#),
        get("names are case-sensitive and kept as sent (user.get FILTER)", "FILTER[ACTIVE]=true&select[]=ID")
            .params(r#"{"FILTER":{"ACTIVE":"true"},"select":["ID"]}"#),
        get("multi-value user field via appends", "fields[UF_CRM_X][]=1&fields[UF_CRM_X][]=2")
            .params(r#"{"fields":{"UF_CRM_X":["1","2"]}}"#),
        get("sparse integer keys make an object, not a list with holes", "a[1]=x&a[5]=y")
            .params(r#"{"a":{"1":"x","5":"y"}}"#),
        get("integer keys out of order make an object in arrival order", "a[1]=x&a[0]=y")
            .params(r#"{"a":{"1":"x","0":"y"}}"#),
        get("`[]` after explicit keys appends at the largest integer key + 1", "a[5]=x&a[2]=y&a[]=z")
            .params(r#"{"a":{"5":"x","2":"y","6":"z"}}"#),
        get("`[]` after a negative key appends at that key + 1", "a[-3]=x&a[]=y")
            .params(r#"{"a":{"-3":"x","-2":"y"}}"#),
        get("string keys do not move the append position", "a[]=x&a[k]=y&a[]=z")
            .params(r#"{"a":{"0":"x","k":"y","1":"z"}}"#),
        get("only canonical decimal integers are integer keys (01, +1, 1.0, -0 stay strings)",
            "a[01]=x&a[%2B1]=y&a[1.0]=z&a[-0]=w")
            .params(r#"{"a":{"01":"x","+1":"y","1.0":"z","-0":"w"}}"#),
        get("an index beyond 64 bits is a string key", "a[9223372036854775808]=x")
            .params(r#"{"a":{"9223372036854775808":"x"}}"#),
        get("an append after the largest possible index is dropped, as PHP refuses it",
            "a[9223372036854775807]=x&a[]=y")
            .params(r#"{"a":{"9223372036854775807":"x"}}"#),
        get("deep nesting builds nested objects", "fields[PROPS][a][b][c][d]=v&fields[PROPS][a][e]=w")
            .params(r#"{"fields":{"PROPS":{"a":{"b":{"c":{"d":"v"}},"e":"w"}}}}"#),
        get("`[]` in the middle of a name appends a new array each time",
            "rows[][ID]=1&rows[][ID]=2")
            .params(r#"{"rows":[{"ID":"1"},{"ID":"2"}]}"#),

        // ---- Repeats and collisions ----
        get("a repeated scalar name: the last value wins", "ID=1&ID=2")
            .params(r#"{"ID":"2"}"#),
        get("a repeated name keeps the position where it first appeared", "a=1&b=2&a=3")
            .params(r#"{"a":"3","b":"2"}"#),
        get("a scalar after an array replaces the array", "a[x]=1&a=2")
            .params(r#"{"a":"2"}"#),
        get("brackets after a scalar replace the scalar with a new array, in its position",
            "a=1&b=2&a[x]=3")
            .params(r#"{"a":{"x":"3"},"b":"2"}"#),
        get("a nested scalar turned into an array loses its old value", "a[x]=1&a[x][y]=2")
            .params(r#"{"a":{"x":{"y":"2"}}}"#),

        // ---- Decoding ----
        get("`+` is a space and `%2B` is a plus", "TITLE=New+deal+%2B1")
            .params(r#"{"TITLE":"New deal +1"}"#),
        get("`%26` and `%3D` inside a value do not split it", "COMPANY_TITLE=Smith%26Sons%3D1")
            .params(r#"{"COMPANY_TITLE":"Smith&Sons=1"}"#),
        get("a raw `=` after the first one belongs to the value", "expr=a=b")
            .params(r#"{"expr":"a=b"}"#),
        get("percent-encoded brackets are brackets: filter%5B%3EID%5D=5", "filter%5B%3EID%5D=5")
            .params(r#"{"filter":{">ID":"5"}}"#),
        get("an encoded `=` inside a key is kept in the key", "filter%5B%3E%3DDATE_CREATE%5D=2024-01-01")
            .params(r#"{"filter":{">=DATE_CREATE":"2024-01-01"}}"#),
        get("a raw `filter[>=ID]=5` splits at its first `=`: name `filter[>` (unmatched `[`), value `ID]=5`",
            "filter[>=ID]=5")
            .params(r#"{"filter_>":"ID]=5"}"#),
        get("bracket keys are verbatim: operators, `%`, dots and spaces are kept",
            "filter[!%25TITLE]=Acme&order[a.b+c]=ASC&filter[%3C%3DDATE]=x")
            .params(r#"{"filter":{"!%TITLE":"Acme","<=DATE":"x"},"order":{"a.b c":"ASC"}}"#),
        get("Cyrillic values decode from UTF-8 percent escapes", "fields[TITLE]=%D0%A2%D0%B5%D1%81%D1%82")
            .params(r#"{"fields":{"TITLE":"Тест"}}"#),
        get("bytes that are not UTF-8 become U+FFFD", "a=%FF%FE&b=ok")
            .params(r#"{"a":"\uFFFD\uFFFD","b":"ok"}"#),
        get("a `%` without two hex digits stays literal", "a=100%&b=%zz")
            .params(r#"{"a":"100%","b":"%zz"}"#),
        get("a batch cmd is one value: its inner query stays percent-encoded once (§5.1)",
            "halt=1&cmd[a]=crm.lead.add%3Ffields%5BTITLE%5D%3DJohn%2526Martin")
            .params(r#"{"halt":"1","cmd":{"a":"crm.lead.add?fields[TITLE]=John%26Martin"}}"#),

        // ---- Name mangling ----
        get("in a top-level name `.` and space become `_`", "user.name=x&first+name=y")
            .params(r#"{"user_name":"x","first_name":"y"}"#),
        get("leading spaces of a name are dropped", "++ID=5")
            .params(r#"{"ID":"5"}"#),
        get("an unmatched `[` becomes `_` and the rest joins the name, mangled", "a[b=1&c[d.e+f=2")
            .params(r#"{"a_b":"1","c_d_e_f":"2"}"#),
        get("an unmatched `[` after complete segments is ignored", "a[b][c=1")
            .params(r#"{"a":{"b":"1"}}"#),
        get("text after `]` that is not `[` ends the name", "a[b]junk[c]=1")
            .params(r#"{"a":{"b":"1"}}"#),
        get("a bracket holding one whitespace character appends", "a[%20]=x&a[+]=y")
            .params(r#"{"a":["x","y"]}"#),
        get("names that end up empty are ignored", "=x&[a]=y&%20=z&ok=1")
            .params(r#"{"ok":"1"}"#),
        get("empty pieces between `&` are skipped", "&&a=1&&")
            .params(r#"{"a":"1"}"#),
        get("`a=` is an empty string", "a=&b=2").params(r#"{"a":"","b":"2"}"#),
        get("a name without `=` is an empty string", "flag&b=2").params(r#"{"flag":"","b":"2"}"#),
        get("a name is cut at a NUL byte; the value is not", "a%00b=1&c=x%00y")
            .params(r#"{"a":"1","c":"x\u0000y"}"#),
        get("a name that mangling turns into `__Host-` is dropped", "..Host-x=1&__Host-y=2")
            .params(r#"{"__Host-y":"2"}"#),

        // ---- Documented shapes (v2-wire §2.1, §2.2) ----
        get("OR group with `!=` encoded: `filter` has only key 0, so PHP makes it a list around the group object",
            "filter[0][logic]=OR&filter[0][0][%21%3Dname]=&filter[0][1][%21%3DlastName]=")
            .params(r#"{"filter":[{"logic":"OR","0":{"!=name":""},"1":{"!=lastName":""}}]}"#),
        get("OR group sent raw as printed in §2.1: each `!=` key splits at its `=`, so PHP stores `name]=` as a value",
            "filter[0][logic]=OR&filter[0][0][!=name]=&filter[0][1][!=lastName]=")
            .params(r#"{"filter":[{"logic":"OR","0":"name]=","1":"lastName]="}]}"#),
        get("positional task.* parameters: the top level stays an object with keys \"0\", \"1\"",
            "0=123&1[POST_MESSAGE]=text")
            .params(r#"{"0":"123","1":{"POST_MESSAGE":"text"}}"#),

        // ---- Form bodies and content types ----
        form("a form body follows the same rules; raw UTF-8 is fine", "fields[TITLE]=Тест&select[]=ID")
            .params(r#"{"fields":{"TITLE":"Тест"},"select":["ID"]}"#),
        post("content type is matched case-insensitively, parameters ignored",
            Some("Application/X-WWW-Form-Urlencoded; Charset=UTF-8"), "ID=7", BodyKind::Form)
            .params(r#"{"ID":"7"}"#),
        post("a body without a content type is read as a form (curl's default)", None, "ID=7&a[]=1", BodyKind::Form)
            .params(r#"{"ID":"7","a":["1"]}"#),
        post("text/plain is not parsed: the body is dropped, the query still counts",
            Some("text/plain"), "ID=2&x=y", BodyKind::Ignored)
            .query("ID=1")
            .params(r#"{"ID":"1"}"#),
        post("application/octet-stream is not parsed", Some("application/octet-stream"), "{\"a\":1}", BodyKind::Ignored)
            .params("{}"),
        post("an empty body is Empty whatever the content type", JSON, "", BodyKind::Empty)
            .query("ID=3")
            .params(r#"{"ID":"3"}"#),

        // ---- Multipart ----
        multipart("multipart text fields use bracket names; a part with a filename is a file, not a parameter",
            BOUNDARY,
            crlf(&[
                "------WebKitFormBoundary7MA4YWxk",
                r#"Content-Disposition: form-data; name="fields[TITLE]""#,
                "",
                "Deal from form",
                "------WebKitFormBoundary7MA4YWxk",
                r#"Content-Disposition: form-data; name="fields[UF_CRM_TAGS][]""#,
                "",
                "a",
                "------WebKitFormBoundary7MA4YWxk",
                r#"Content-Disposition: form-data; name="fields[UF_CRM_TAGS][]""#,
                "",
                "b",
                "------WebKitFormBoundary7MA4YWxk",
                r#"Content-Disposition: form-data; name="fileContent"; filename="report.pdf""#,
                "Content-Type: application/pdf",
                "",
                "%PDF-1.4 binary",
                "------WebKitFormBoundary7MA4YWxk--",
                "",
            ]))
            .params(r#"{"fields":{"TITLE":"Deal from form","UF_CRM_TAGS":["a","b"]}}"#)
            .file("fileContent", "report.pdf", Some("application/pdf"), 15),
        multipart("multipart: quoted boundary, LF line ends, bare names, preamble and epilogue",
            r#"multipart/form-data; boundary="xyz"; charset=utf-8"#,
            "This is a preamble.\n--xyz\nContent-Disposition: form-data; name=ID\n\n42\n--xyz\ncontent-disposition: form-data; name=\"text\"\n\nline1\nline2\n--xyz--\nepilogue")
            .params(r#"{"ID":"42","text":"line1\nline2"}"#),
        multipart("multipart names are not percent-decoded; values keep UTF-8",
            "multipart/form-data; boundary=b",
            crlf(&[
                "--b",
                r#"Content-Disposition: form-data; name="a%5Bb%5D""#,
                "",
                "Привет",
                "--b--",
            ]))
            .params(r#"{"a%5Bb%5D":"Привет"}"#),
        multipart("multipart files keep only the base name; an empty file input is still a file",
            "multipart/form-data; boundary=b",
            crlf(&[
                "--b",
                r#"Content-Disposition: form-data; name="photo"; filename="C:\\Users\\me\\a.png""#,
                "",
                "PNG",
                "--b",
                r#"Content-Disposition: form-data; name="empty"; filename="""#,
                "Content-Type: application/octet-stream",
                "",
                "",
                "--b",
                "Content-Disposition: form-data; name=ID",
                "",
                "5",
                "--b--",
            ]))
            .params(r#"{"ID":"5"}"#)
            .file("photo", "a.png", None, 3)
            .file("empty", "", Some("application/octet-stream"), 0),
        multipart("multipart without a boundary parameter is refused", "multipart/form-data", "--b\r\n\r\n")
            .invalid_multipart(),
        multipart("a multipart part that no boundary closes is refused",
            "multipart/form-data; boundary=b",
            crlf(&["--b", "Content-Disposition: form-data; name=ID", "", "5 and then the body ends"]))
            .invalid_multipart(),
        multipart("multipart headers that never end are refused",
            "multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=ID")
            .invalid_multipart(),
        multipart("a multipart body that never shows its boundary is refused",
            "multipart/form-data; boundary=b", "ID=5")
            .invalid_multipart(),

        // ---- JSON bodies ----
        json("a JSON object is the parameters: types and key order are kept",
            r#"{"entityTypeId":2,"fields":{"title":"Deal","opportunity":100.5,"isManual":true,"contactIds":[3,1]},"select":null}"#)
            .params(r#"{"entityTypeId":2,"fields":{"title":"Deal","opportunity":100.5,"isManual":true,"contactIds":[3,1]},"select":null}"#),
        json("a JSON array is positional parameters \"0\", \"1\", … (old task.* methods)",
            r#"[123,{"POST_MESSAGE":"text"}]"#)
            .params(r#"{"0":123,"1":{"POST_MESSAGE":"text"}}"#),
        json("a JSON scalar gives no parameters", "42").params("{}"),
        json("JSON null gives no parameters", "null").params("{}"),
        json("a repeated JSON key: the last value wins in the first position", r#"{"a":1,"b":2,"a":3}"#)
            .params(r#"{"a":3,"b":2}"#),
        post("`text/json` with a charset is JSON", Some("text/json; charset=utf-8"), r#"{"id":1}"#, BodyKind::Json)
            .params(r#"{"id":1}"#),
        post("any `+json` media type is JSON", Some("application/vnd.api+json"), r#"{"id":1}"#, BodyKind::Json)
            .params(r#"{"id":1}"#),
        json("broken JSON is refused", r#"{"fields":{"TITLE":"#).invalid_json(),
        json("a JSON body of only whitespace is not JSON", "  \n").invalid_json(),

        // ---- Query and body together ----
        form("the query wins on conflicts; body order is kept and new query keys go last",
            "a=body&b=body&d=body")
            .query("b=query&c=query")
            .params(r#"{"a":"body","b":"query","d":"body","c":"query"}"#),
        json("the merge is top-level only: a query key replaces the body's whole value",
            r#"{"fields":{"TITLE":"b","OPPORTUNITY":5},"id":1}"#)
            .query("fields[TITLE]=q")
            .params(r#"{"fields":{"TITLE":"q"},"id":1}"#),
        json("a query value replacing a JSON value is a string", r#"{"id":5,"flag":true}"#)
            .query("id=7")
            .params(r#"{"id":"7","flag":true}"#),

        // ---- auth and telemetry ----
        get("`auth` in the query is the token and not a parameter", "auth=tok-q&ID=1")
            .params(r#"{"ID":"1"}"#)
            .auth("tok-q"),
        form("`auth` in a form body (BX24.js, CRest OAuth)", "ID=1&auth=tok-b")
            .params(r#"{"ID":"1"}"#)
            .auth("tok-b"),
        form("`auth` in both: the query's wins", "auth=tok-b&ID=1")
            .query("auth=tok-q")
            .params(r#"{"ID":"1"}"#)
            .auth("tok-q"),
        json("b24jssdk: telemetry in the query, `auth` in the JSON body",
            r#"{"id":5,"auth":"tok-j"}"#)
            .query("bx24_request_id=r-1&bx24_sdk_ver=0.4.0&bx24_sdk_type=b24-js-sdk")
            .params(r#"{"id":5}"#)
            .auth("tok-j")
            .telemetry(&[("bx24_request_id", "r-1"), ("bx24_sdk_ver", "0.4.0"), ("bx24_sdk_type", "b24-js-sdk")]),
        get("telemetry keeps arrival order; a partial set is fine", "bx24_sdk_type=php&ID=2&bx24_request_id=7")
            .params(r#"{"ID":"2"}"#)
            .telemetry(&[("bx24_sdk_type", "php"), ("bx24_request_id", "7")]),
        json("telemetry does not shift positional parameters", r#"[5,{"POST_MESSAGE":"hi"}]"#)
            .query("bx24_request_id=abc")
            .params(r#"{"0":5,"1":{"POST_MESSAGE":"hi"}}"#)
            .telemetry(&[("bx24_request_id", "abc")]),
        json("a numeric `auth` in JSON is read as text", r#"{"auth":123,"id":1}"#)
            .params(r#"{"id":1}"#)
            .auth("123"),
        get("an array `auth` is no token, and is still removed", "auth[]=x&ID=1")
            .params(r#"{"ID":"1"}"#),
        get("only the exact name `auth` is the token", "AUTH=x&Auth=y")
            .params(r#"{"AUTH":"x","Auth":"y"}"#),

        // ---- Limits ----
        form("a body over limits.max_body_bytes is refused before parsing", "ID=1&TITLE=abcdef")
            .limits(limits(16, 10, 10))
            .error(DecodeError::BodyTooLarge { limit: 16 }),
        post("the body limit applies even to bodies that would be ignored",
            Some("text/plain"), "0123456789abcdefX", BodyKind::Ignored)
            .limits(limits(16, 10, 10))
            .error(DecodeError::BodyTooLarge { limit: 16 }),
        form("a body of exactly limits.max_body_bytes is accepted", "ID=1&TITLE=abcde")
            .limits(limits(16, 10, 10))
            .params(r#"{"ID":"1","TITLE":"abcde"}"#),
        get("more query pairs than limits.max_vars is an error, not a truncation", "a=1&b=2&c=3&d=4")
            .limits(with_vars(3))
            .error(DecodeError::TooManyVariables { limit: 3 }),
        get("exactly limits.max_vars query pairs are fine", "a=1&b=2&c=3")
            .limits(with_vars(3))
            .params(r#"{"a":"1","b":"2","c":"3"}"#),
        form("more form-body pairs than limits.max_vars is an error", "a[]=1&a[]=2&a[]=3")
            .limits(with_vars(2))
            .error(DecodeError::TooManyVariables { limit: 2 }),
        form("query and body are counted separately, like $_GET and $_POST", "c=3&d=4")
            .query("a=1&b=2")
            .limits(with_vars(2))
            .params(r#"{"c":"3","d":"4","a":"1","b":"2"}"#),
        multipart("more multipart parts than limits.max_vars is an error",
            "multipart/form-data; boundary=b",
            crlf(&[
                "--b", "Content-Disposition: form-data; name=a", "", "1",
                "--b", "Content-Disposition: form-data; name=b", "", "2",
                "--b", "Content-Disposition: form-data; name=c; filename=c.txt", "", "3",
                "--b--",
            ]))
            .limits(with_vars(2))
            .error(DecodeError::TooManyVariables { limit: 2 }),
        get("more bracket levels than limits.max_depth is an error", "a[b][c][d]=1")
            .limits(with_depth(2))
            .error(DecodeError::TooDeep { limit: 2 }),
        form("exactly limits.max_depth bracket levels are fine", "a[b][c]=1")
            .limits(with_depth(2))
            .params(r#"{"a":{"b":{"c":"1"}}}"#),
        form("too deep in a form body", "ok=1&a[][][]=1")
            .limits(with_depth(2))
            .error(DecodeError::TooDeep { limit: 2 }),
        get("the default depth (64) allows 64 bracket levels", nested_name(64))
            .params(nested_name_json(64)),
        get("…and refuses 65", nested_name(65))
            .error(DecodeError::TooDeep { limit: 64 }),
        post("JSON nesting counts containers below the top-level value", JSON,
            r#"{"a":{"b":{"c":{}}}}"#, BodyKind::Json)
            .limits(with_depth(2))
            .error(DecodeError::TooDeep { limit: 2 }),
        post("JSON at exactly limits.max_depth is fine; brackets inside strings do not count", JSON,
            r#"{"a":{"b":{"c":"[[[{{{"}}}"#, BodyKind::Json)
            .limits(with_depth(2))
            .params(r#"{"a":{"b":{"c":"[[[{{{"}}}"#),
        post("the default depth applies to JSON too", JSON, nested_json(65), BodyKind::Json)
            .error(DecodeError::TooDeep { limit: 64 }),
    ]
}

#[test]
fn decode_table() {
    let cases = cases();
    assert!(cases.len() >= 45, "the table has only {} rows", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = decode_request(
            case.query.as_deref(),
            case.content_type,
            &case.body,
            &case.limits,
        );
        if let Err(problem) = case.check(got) {
            failures.push(format!("- {}\n   {problem}", case.what));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn batch_command_queries_parse_like_query_strings() {
    let rows: [(&str, &str, &str); 4] = [
        (
            "a crm list command with operator keys and appends",
            "filter[>OPPORTUNITY]=100&select[]=ID&start=0",
            r#"{"filter":{">OPPORTUNITY":"100"},"select":["ID"],"start":"0"}"#,
        ),
        (
            "the inner `%26` of a doubly encoded cmd is an `&` inside the value",
            "fields[TITLE]=John%26Martin",
            r#"{"fields":{"TITLE":"John&Martin"}}"#,
        ),
        (
            "a result macro is kept as text for later substitution",
            "ID=$result[me][UF_DEPARTMENT][0]",
            r#"{"ID":"$result[me][UF_DEPARTMENT][0]"}"#,
        ),
        (
            "CRest sends macros percent-encoded; they decode to the same text",
            "ID=%24result%5Bme%5D%5BUF_DEPARTMENT%5D%5B0%5D",
            r#"{"ID":"$result[me][UF_DEPARTMENT][0]"}"#,
        ),
    ];
    for (what, query, want) in rows {
        let got = parse_php_query(query, &DecodeLimits::default())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let want: Value = serde_json::from_str(want).unwrap();
        assert_eq!(Value::Object(got).to_string(), want.to_string(), "{what}");
    }
}

#[test]
fn invalid_json_message_has_position_and_no_body() {
    let err = decode_request(
        None,
        JSON,
        br#"{"auth":"very-secret" oops}"#,
        &DecodeLimits::default(),
    )
    .expect_err("broken JSON must be refused");
    let DecodeError::InvalidJson(message) = &err else {
        panic!("expected InvalidJson, got {err:?}");
    };
    assert!(message.contains("line 1 column"), "{message}");
    assert!(!err.to_string().contains("very-secret"), "{err}");
}

/// xorshift64*: deterministic, no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Fragments that steer random input into the interesting paths of every reader.
const FRAGMENTS: &[&[u8]] = &[
    b"a",
    b"ID",
    b"0",
    b"1",
    b"-1",
    b"01",
    b"9223372036854775807",
    b"[",
    b"]",
    b"[]",
    b"[ ]",
    b"=",
    b"&",
    b"%",
    b"%5B",
    b"%5D",
    b"%00",
    b"%FF",
    b"%2",
    b"+",
    b".",
    b" ",
    b"\t",
    b"auth",
    b"bx24_request_id",
    b"\r\n",
    b"\n",
    b"--x",
    b"--x--",
    b"\"",
    b"'",
    b"\\",
    b"{",
    b"}",
    b"[[",
    b"]]",
    b":",
    b",",
    b"null",
    b"Content-Disposition: form-data; name=",
    b"; filename=",
    b"\r\n\r\n",
    "Тест".as_bytes(),
    b"\xff\xfe",
    b"__Host-",
    b"..",
];

/// Up to `max_fragments` fragments and random bytes.
fn random_bytes(rng: &mut Rng, max_fragments: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(max_fragments + 1) {
        if rng.below(4) == 0 {
            out.push((rng.next() & 0xff) as u8);
        } else if let Some(fragment) = FRAGMENTS.get(rng.below(FRAGMENTS.len())) {
            out.extend_from_slice(fragment);
        }
    }
    out
}

/// Many short `name[seg]…=value` pairs, to reach the variable and depth limits.
fn random_pairs(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(16) {
        out.extend(random_bytes(rng, 2));
        for _ in 0..rng.below(5) {
            out.push(b'[');
            out.extend(random_bytes(rng, 1));
            out.push(b']');
        }
        out.push(b'=');
        out.extend(random_bytes(rng, 2));
        out.push(b'&');
    }
    out
}

/// A random JSON document, sometimes nested past the tight depth limit.
fn random_json(rng: &mut Rng, depth: usize) -> String {
    let text = |rng: &mut Rng| {
        let raw = random_bytes(rng, 2);
        Value::String(String::from_utf8_lossy(&raw).into_owned()).to_string()
    };
    match rng.below(if depth > 5 { 3 } else { 6 }) {
        0 => "null".to_owned(),
        1 => (rng.next() as i64).to_string(),
        2 => text(rng),
        3 => {
            let items: Vec<String> = (0..rng.below(4))
                .map(|_| random_json(rng, depth + 1))
                .collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let members: Vec<String> = (0..rng.below(4))
                .map(|_| format!("{}:{}", text(rng), random_json(rng, depth + 1)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

#[test]
fn random_input_never_panics() {
    const CONTENT_TYPES: [Option<&str>; 7] = [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/json"),
        Some("multipart/form-data; boundary=x"),
        Some("multipart/form-data; boundary=\"x"),
        Some("multipart/form-data"),
        Some("text/plain"),
    ];
    let tight = limits(300, 8, 3);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // A sweep in which every input fails would prove nothing about decoding: count the
    // inputs that decode with parameters.
    let mut decoded_with_params = 0;
    for round in 0..4000 {
        let limits = if round % 2 == 0 {
            DecodeLimits::default()
        } else {
            tight
        };
        let query_bytes = if rng.below(2) == 0 {
            random_bytes(&mut rng, 40)
        } else {
            random_pairs(&mut rng)
        };
        let query = String::from_utf8_lossy(&query_bytes);

        if let Ok(params) = parse_php_query(&query, &limits) {
            for name in params.keys() {
                assert!(
                    !name.is_empty() && !name.contains([' ', '.', '[']),
                    "top-level name {name:?} from {query:?}"
                );
            }
        }

        let content_type = CONTENT_TYPES
            .get(rng.below(CONTENT_TYPES.len()))
            .copied()
            .flatten();
        let mut body = match rng.below(3) {
            0 => random_bytes(&mut rng, 40),
            1 => random_pairs(&mut rng),
            _ => random_json(&mut rng, 0).into_bytes(),
        };
        if rng.below(4) == 0 {
            // Corrupt one byte.
            let at = rng.below(body.len() + 1);
            if let Some(byte) = body.get_mut(at) {
                *byte = (rng.next() & 0xff) as u8;
            }
        }
        if content_type.is_some_and(|ct| ct.starts_with("multipart")) && rng.below(2) == 0 {
            let mut framed = b"--x\r\nContent-Disposition: form-data; name=".to_vec();
            framed.append(&mut body);
            framed.extend_from_slice(b"\r\n--x--");
            body = framed;
        }
        let with_query = rng.below(2) == 0;
        let outcome = decode_request(with_query.then_some(&*query), content_type, &body, &limits);
        if let Ok(request) = outcome {
            if !request.params.is_empty() {
                decoded_with_params += 1;
            }
            for reserved in ["auth", "bx24_request_id", "bx24_sdk_ver", "bx24_sdk_type"] {
                assert!(
                    !request.params.contains_key(reserved),
                    "{reserved} left in params"
                );
            }
        }
    }
    assert!(
        decoded_with_params > 1000,
        "only {decoded_with_params} of 4000 random requests decoded with parameters"
    );
}
