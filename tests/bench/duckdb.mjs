// duckdb.mjs: the DuckDB peer of the benchmark; ranks an epoch-format sales log with SQL, as sr-topk writes it.
//
// usage: node duckdb.mjs LOG SINCE UNTIL COUNT
// Writes category_id<TAB>rank<TAB>product_id<TAB>total_sold for the sales with
// SINCE <= timestamp < UNTIL (epoch seconds), top COUNT per category.
// @duckdb/node-api is looked up in SR_BENCH_NODE_MODULES (a directory holding
// node_modules/), where bench.sh installs it, else beside this file.
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [log, since, until, count] = process.argv.slice(2);
if (!log || !/^\d+$/.test(since ?? '') || !/^\d+$/.test(until ?? '') || !/^\d+$/.test(count ?? '')) {
	process.stderr.write('usage: node duckdb.mjs LOG SINCE UNTIL COUNT\n');
	process.exit(2);
}

const base = process.env.SR_BENCH_NODE_MODULES || dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(base, 'package.json'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

const quoted = `'${log.replaceAll("'", "''")}'`;
// category is text so that it orders as bytes (LC_ALL=C); product is an integer
// so that ties break numerically, as sr-topk breaks them for integer ids.
const sql = `
WITH sales AS (
	SELECT * FROM read_csv(${quoted}, delim = '\t', header = false, quote = '', escape = '',
		columns = {'ts': 'BIGINT', 'product': 'BIGINT', 'category': 'VARCHAR', 'qty': 'BIGINT',
			'price': 'VARCHAR', 'seller': 'VARCHAR', 'buyer': 'VARCHAR'})
), totals AS (
	SELECT category, product, sum(qty) AS total
	FROM sales
	WHERE ts >= ${since} AND ts < ${until}
	GROUP BY category, product
), ranked AS (
	SELECT category, product, total,
		row_number() OVER (PARTITION BY category ORDER BY total DESC, product ASC) AS rank
	FROM totals
)
SELECT category, rank, product, total FROM ranked WHERE rank <= ${count}
ORDER BY category, rank`;

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
const lines = reader.getRows().map((r) => r.map(String).join('\t'));
connection.closeSync();
const out = lines.length ? lines.join('\n') + '\n' : '';
process.stdout.write(out, (err) => {
	if (err) {
		process.stderr.write(`duckdb.mjs: write error: ${err.message}\n`);
		process.exit(1);
	}
});
