# names: 
# ---
rows = conn.query("SELECT * FROM t WHERE id = @id")
duckdb.query("select 1")
