# defines: Model
# uses: BaseModel, range, default_k, k
# deferred: helper
# ---
class Model(BaseModel):
    k = default_k
    ks = [k for _ in range(3)]  # the comprehension cannot see class names: k is outside

    def fit(self, X):
        return helper(X, self.k)
