# magics: cell:bash
# ---
%%bash
echo "this is not python ( at all"
