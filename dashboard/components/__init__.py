"""Dashboard sections: each a function of the plain filter values (`data.Selection`) returning Panel objects."""
