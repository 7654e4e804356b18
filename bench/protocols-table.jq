# The markdown table of bench/protocols.sh from its results.jsonl (slurped).
def names: {ws: "Action Cable JSON, WebSocket (baseline)", deflate: "Action Cable JSON, permessage-deflate",
  sse: "SSE", poll: "long polling (one held request)", pusher: "Pusher", graphql: "GraphQL (graphql-transport-ws)",
  ocpp: "OCPP 1.6"};
def cell(v; f): if v == null then "—" else (v | f) end;
def r2: (. * 100 | round) as $x
  | "\($x / 100 | floor).\($x % 100 | tostring | if length < 2 then "0" + . else . end)";
def ratio(v; base): if v == null or base == null or base == 0 then "—" else "\(v / base | r2)×" end;
(map(select(.kind == "idle")) | map({key: .row, value: .}) | from_entries) as $idle
| (map(select(.kind == "broadcast")) | map({key: .row, value: .}) | from_entries) as $bc
| "| protocol | KB per idle connection (\($n)) | × WebSocket | goroutines with \($n) | server CPU µs per delivery (\($b) subscribers) | × WebSocket | bytes per delivery |",
  "|---|---|---|---|---|---|---|",
  ($idle | keys_unsorted[] as $k
   | "| \(names[$k] // $k) | \(cell($idle[$k].value; r2)) | \(ratio($idle[$k].value; $idle.ws.value)) | \(cell($idle[$k].extra; tostring)) | \(cell($bc[$k].value; r2)) | \(ratio($bc[$k].value; $bc.ws.value)) | \(cell($bc[$k].extra; tostring)) |")
