# An unseeded split whose parts train a model is reported; scikit-learn estimators are used when fitted.
# expect: 1 train_test_split
# expect: 2 RandomForestClassifier
# %%
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
X, y = make_classification(n_samples=200, random_state=0)
# %%
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
# %%
forest = RandomForestClassifier(n_estimators=10)
forest.fit(X_train, y_train)
print(forest.score(X_test, y_test))
