def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"DreamDot" in response.data
