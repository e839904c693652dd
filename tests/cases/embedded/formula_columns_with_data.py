# names: 
# ---
smf.ols("price ~ area + rooms + area:rooms", data=houses)
