# %%
name = 'été'
