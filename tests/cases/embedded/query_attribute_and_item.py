# names: cfg, items
# kind: query
# ---
cheap = df.query("price < @cfg.max_price or price == @items[0]")
