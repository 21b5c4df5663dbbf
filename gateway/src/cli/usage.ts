export const USAGE = `usage: tracegate report --from DATE --to DATE [--group-by team|key|workflow|model|provider] [--format csv|json]
       tracegate spool list [--format text|json]
       tracegate spool retry NAME... | --all
       tracegate prices missing --from DATE --to DATE [--format text|json]
options of all: [--url http://127.0.0.1:4000] [--token ADMIN_TOKEN] [--config PATH]
Asks the running gateway; when none answers at --url, works on the data directory directly.`
