# uses: sb, iris
# ---
sb.pairplot(iris.dropna(), hue='class')
;
