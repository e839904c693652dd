# defines: clean, rows, train, seen, n
# uses: pd, clean, rows, dates, ordered, train, seen, n, int, people
# modules: pd=pandas
# mutations: dates:item:reads, ordered:inplace, people:inplace
# self_rebinds: clean, rows, train, seen, n
# reruns: clean:yes, rows:yes, dates:yes, ordered:yes, train:yes, seen:yes, n:yes, people:yes
# columns: dates.when:datetime, people.tmp:dropped
# ---
clean = clean.fillna(0).reset_index(drop=True)
rows = rows[(rows.price > 0) & rows.city.notnull()]
dates["when"] = pd.to_datetime(dates["when"])
ordered.sort_values("when", inplace=True)
train = train.drop(train[train.price < 0].index)
seen |= {1}
n = int(n)
if "tmp" in people.columns:
    people.drop("tmp", axis=1, inplace=True)
